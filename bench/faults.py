"""Faults at scale, the full form (issue 11): prints the counts docs/reliability.md gives.

    .venv/bin/python bench/faults.py            # 10,000 taps, 3 Pis, faults in rounds, SQLite
    .venv/bin/python bench/faults.py --taps 2000 --cut-s 30 --db postgresql://...

Everything is real: Mosquitto, ``lh-central serve`` and its ingest process, three
``lh-device simulate --headless`` processes behind cuttable links. The faults and the
checks are in tests/reliability/fault_harness.py; the short form runs in CI as
tests/reliability/test_faults_at_scale.py. Exit status 0 only if nothing was lost,
duplicated or left behind.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.reliability.fault_harness import FULL, Run  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--taps", type=int, default=FULL.taps)
    ap.add_argument("--pis", type=int, default=FULL.pis)
    ap.add_argument("--rate", type=float, default=FULL.rate_per_pi, help="taps per second per Pi")
    ap.add_argument("--cut-s", type=float, default=FULL.cut_s, help="how long a cut link lasts")
    ap.add_argument("--db", help="central's database URL (default: a new SQLite file)")
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    profile = dataclasses.replace(FULL, taps=args.taps, pis=args.pis, rate_per_pi=args.rate, cut_s=args.cut_s)
    with tempfile.TemporaryDirectory(prefix="lh-faults-") as tmp:
        work = Path(tmp)
        db = args.db or f"sqlite:///{work / 'central.sqlite3'}"
        if db.startswith("postgresql"):
            db = _fresh_postgres(db)
        run = Run(work, db, profile, seed_=args.seed)
        run.log = lambda m: print(m, file=sys.stderr, flush=True)
        t0 = time.monotonic()
        result = run.run()
        print("\n".join(result.lines()))
        for note in result.notes:
            print(f"note: {note}")
        print(f"wall: {time.monotonic() - t0:.0f} s")
        return 0 if run.ok() else 1


def _fresh_postgres(url: str) -> str:
    """A new database on the server of ``url`` (left behind for a look afterwards)."""
    import uuid

    from sqlalchemy import create_engine, text

    name = f"lh_faults_{uuid.uuid4().hex[:8]}"
    admin = create_engine(
        url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    print(f"database: {name}", file=sys.stderr)
    return f"{url.rsplit('/', 1)[0]}/{name}"


if __name__ == "__main__":
    sys.exit(main())
