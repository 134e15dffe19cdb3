"""GET /admin/devices shows each device's retained status in fields (central.fleet)."""

from __future__ import annotations

import datetime as dt

from protocol.codec import encode
from protocol.messages import DeviceStatus
from tests.api.conftest import Api


def test_admin_api_lists_the_parsed_status(api: Api) -> None:
    at = dt.datetime(2026, 11, 29, 6, 0, tzinfo=dt.UTC)
    online = DeviceStatus(
        state="online",
        boot_id="b1",
        at=at,
        version="0.3.0",
        outbox_depth=4,
        rejected_count=1,
        roster_version=12,
    )
    api.store.record_device_status("dev-a", encode(online).decode())
    r = api.client.get("/admin/devices", headers=api.admin())
    assert r.status_code == 200
    by_id = {d["id"]: d for d in r.json()}
    a = by_id["dev-a"]
    assert a["state"] == "online" and a["state_text"] == "online" and a["offline_since"] is None
    assert (a["outbox_depth"], a["rejected_count"], a["version"], a["roster_version"]) == (4, 1, "0.3.0", 12)
    assert by_id["dev-b"]["state"] == "unknown" and by_id["dev-b"]["state_text"] == "never seen"

    api.store.record_device_status(
        "dev-a", encode(DeviceStatus(state="offline", boot_id="b1", at=at)).decode()
    )
    a = {d["id"]: d for d in api.client.get("/admin/devices", headers=api.admin()).json()}["dev-a"]
    assert a["state"] == "offline" and a["state_text"].startswith("offline since ")
    assert a["offline_since"] is not None and a["outbox_depth"] == 4
