"""Today's plan for 10,000 children in 500 departments, from the database, against merely reading the rows.

Seeds a SQLite file (mixed one- and two-week schedules, agreements, leave), then times
- read: the same four queries the planner runs, rows fetched and nothing else;
- plan: rows → rules dataclasses → each child's plan entry (target ≤ 0.5 s);
- roster: the same plus turning every entry into the roster's RosterPlanEntry (for information:
  a real roster holds one department, 20-odd entries).
Best of several runs each.  Prints ``read_s``, ``plan_s``, ``roster_s`` and ``ratio: plan_s/read_s`` last.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT  # noqa: F401  (puts the repository root on sys.path)
from _plans_seed import DAY, seed

from central.planning import PlanProvider, loader, plans_for_departments
from central.store import CentralStore

RUNS = 5


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.sqlite3"
        n = seed(url)
        store = CentralStore(url)
        provider = PlanProvider(store)

        def read() -> None:
            with store.session() as s:
                for q in loader.queries(DAY, DAY):
                    s.execute(q).all()

        def plan() -> int:
            with store.session() as s:
                return sum(len(v) for v in plans_for_departments(s, None, DAY).values())

        def roster() -> int:
            return sum(len(v) for v in provider.all_departments(DAY).values())

        read()
        assert plan() == n == roster()
        read_s = min(_timed(read) for _ in range(RUNS))
        plan_s = min(_timed(plan) for _ in range(RUNS))
        roster_s = min(_timed(roster) for _ in range(RUNS))
        store.close()
    print(f"children: {n}")
    print(f"read_s: {read_s:.3f}")
    print(f"plan_s: {plan_s:.3f}")
    print(f"roster_s: {roster_s:.3f}")
    print(f"ratio: {plan_s / read_s:.2f}")


def _timed(fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
