"""Fixtures: one provisioned site with two devices and its real Mosquitto per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from provisioning.site import Site
from tests.provisioning.helpers import SiteBroker, lh, make_site


@pytest.fixture(scope="module")
def running_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, SiteBroker]]:
    site = make_site(tmp_path_factory.mktemp("site") / "site")
    for device_id in ("dev-a", "dev-b"):
        lh("add-device", "--site", str(site.root), device_id, "--department", "solen")
    broker = SiteBroker(site)
    broker.start()
    try:
        yield site, broker
    finally:
        broker.stop()


@pytest.fixture
def fresh_site(tmp_path: Path) -> Iterator[tuple[Site, SiteBroker]]:
    """A site of its own for tests that revoke or rotate."""
    site = make_site(tmp_path / "site")
    for device_id in ("dev-a", "dev-b"):
        lh("add-device", "--site", str(site.root), device_id, "--department", "solen")
    broker = SiteBroker(site)
    broker.start()
    try:
        yield site, broker
    finally:
        broker.stop()
