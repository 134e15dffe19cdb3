"""One month's hours report (scheduled, planned, attended) for 10,000 children in 500 departments.

Seeds a SQLite file like bench/plan.py plus a check-in and a check-out per child per weekday of
March 2026 (≈ 440,000 events; the month has the spring-forward Sunday), then times
- read: the same queries the report runs (plan inputs and the month's events), rows fetched only;
- report: :func:`central.reports.monthly_hours` for every child (target ≤ 5 s).
Prints ``read_s``, ``report_s`` and ``ratio: report_s/read_s`` last.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT  # noqa: F401  (puts the repository root on sys.path)
from _plans_seed import seed

from central import reports
from central.planning import loader
from central.rules.hours import month_days
from central.store import CentralStore

YEAR, MONTH = 2026, 3
RUNS = 2


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.sqlite3"
        n = seed(url, events_month=(YEAR, MONTH))
        store = CentralStore(url)
        days = month_days(YEAR, MONTH)
        events_q = reports.events_query(days[0], days[-1], None)

        def read() -> int:
            with store.session() as s:
                for q in loader.queries(days[0], days[-1]):
                    s.execute(q).all()
                return len(s.execute(events_q).all())

        def report() -> int:
            with store.session() as s:
                return len(reports.monthly_hours(s, YEAR, MONTH))

        events = read()
        read_s = min(_timed(read) for _ in range(RUNS))
        assert report() == n
        report_s = min(_timed(report) for _ in range(RUNS))
        store.close()
    print(f"children: {n}")
    print(f"events: {events}")
    print(f"read_s: {read_s:.3f}")
    print(f"report_s: {report_s:.3f}")
    print(f"ratio: {report_s / read_s:.2f}")


def _timed(fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
