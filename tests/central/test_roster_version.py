"""Roster versions are numbered once per bump, even by several central instances at once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from central.store import CentralStore
from tests.conftest import seed_central

INSTANCES = 4
BUMPS = 10


def test_concurrent_instances_number_a_new_departments_rosters_without_gaps_or_errors(
    db_url: str, tmp_path: Path
) -> None:
    seed_central(db_url, tmp_path)
    stores = [CentralStore(db_url) for _ in range(INSTANCES)]  # separate engines, like separate processes
    start = threading.Barrier(INSTANCES)

    def bump(store: CentralStore) -> list[int]:
        start.wait()  # all instances race for the department's very first version
        return [store.bump_roster_version("solen") for _ in range(BUMPS)]

    try:
        with ThreadPoolExecutor(INSTANCES) as pool:
            got = [v for vs in pool.map(bump, stores) for v in vs]
        assert sorted(got) == list(range(1, INSTANCES * BUMPS + 1))
        assert stores[0].bump_roster_version("manen") == 1  # departments count separately
    finally:
        for s in stores:
            s.close()
