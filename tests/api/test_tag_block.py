"""``POST /admin/tags/{digest}/block`` and ``/unblock`` (issue 10): admin only, audited by digest,
rosters asked to republish; an unknown digest is a 404 that changes nothing."""

from __future__ import annotations

from sqlalchemy import select

from central.db.schema import AuditRow, Tag
from protocol.tags import tag_digest
from tests.api.conftest import Api, snapshot

KEY_UID = "04A1B2C3"  # g-anna's tag in the demo import


def _digest(api: Api) -> str:
    key = api.store.tag_key()
    assert key is not None
    return tag_digest(key, KEY_UID)


def _tags(api: Api) -> list[tuple[str, object]]:
    with api.store.session() as s:
        return [(t.digest, t.blocked_at) for t in s.scalars(select(Tag).order_by(Tag.digest))]


def test_admin_blocks_and_unblocks_a_tag(api: Api) -> None:
    digest = _digest(api)
    h = api.admin()
    r = api.client.post(f"/admin/tags/{digest}/block", json={"reason": "lost"}, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["digest"], body["owner_kind"], body["owner_id"]) == (digest, "guardian", "g-anna")
    assert body["blocked_at"] is not None
    assert api.changed == ["solen"], "the department's rosters are republished at once"
    with api.store.session() as s:
        (row,) = s.scalars(select(AuditRow).where(AuditRow.action == "tag.block")).all()
        assert (row.actor_role, row.actor_id, row.entity, row.entity_id) == (
            "admin",
            "admin-1",
            "tag",
            digest,
        )
        assert row.reason == "lost" and KEY_UID not in str(row.after)
    roster = api.store.build_roster("solen")
    assert digest not in {d for g in roster.guardians for d in g.tag_digests}

    listed = api.client.get("/admin/tags?blocked=true", headers=h).json()
    assert [t["digest"] for t in listed] == [digest]

    before = _tags(api)
    r = api.client.post(f"/admin/tags/{digest}/block", headers=h)  # again, no body
    assert r.status_code == 200 and _tags(api) == before
    with api.store.session() as s:
        assert len(s.scalars(select(AuditRow).where(AuditRow.action == "tag.block")).all()) == 1

    r = api.client.post(f"/admin/tags/{digest}/unblock", headers=h)
    assert r.status_code == 200 and r.json()["blocked_at"] is None
    assert api.client.get("/admin/tags?blocked=true", headers=h).json() == []
    res = api.client.get(f"/admin/audit?entity_id={digest}", headers=h).json()
    assert [a["action"] for a in res] == ["tag.unblock", "tag.block"]


def test_unknown_digest_is_404_and_changes_nothing(api: Api) -> None:
    h = api.admin()
    before = snapshot(api.store), _tags(api)
    for verb in ("block", "unblock"):
        r = api.client.post(f"/admin/tags/{'ab' * 32}/{verb}", headers=h)
        assert r.status_code == 404, r.text
        assert r.json()["detail"].startswith("no tag with digest abababab")
        assert "nothing was changed" in r.json()["detail"]
        bad = api.client.post(f"/admin/tags/{KEY_UID}/{verb}", headers=h)  # a UID is not a digest
        assert bad.status_code == 422
    assert (snapshot(api.store), _tags(api)) == before
    assert api.changed == []


def test_guardian_and_staff_are_403(api: Api) -> None:
    digest = _digest(api)
    before = snapshot(api.store), _tags(api)
    for headers in (api.guardian("g-anna"), api.staff()):
        for verb in ("block", "unblock"):
            r = api.client.post(f"/admin/tags/{digest}/{verb}", headers=headers)
            assert (r.status_code, r.json()) == (403, {"detail": "forbidden"})
        assert api.client.get("/admin/tags", headers=headers).status_code == 403
    assert (snapshot(api.store), _tags(api)) == before
    assert api.changed == []
