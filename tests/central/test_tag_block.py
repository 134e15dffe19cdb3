"""Blocking a lost tag from the command line (issue 10), and what the roster then says.

``lh-central tag block`` by owner, digest or UID: audited by digest (never the UID), the tag
leaves its owner's roster digests and goes into ``blocked_tags`` for devices that understand
it, and the roster's content hash changes, so ``lh-central serve`` in another process
republishes it at its next refresh.  An unknown tag is a clear error and changes nothing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from central.cli import app as cli
from central.db.schema import AuditRow, Tag
from central.planning.provider import PlanProvider
from central.service import _content_hash
from central.store import CentralStore
from device import __version__ as DEVICE_RELEASE
from protocol.codec import encode
from protocol.messages import Roster
from protocol.tags import tag_digest

ANNA_UID = "04A1B2C3"  # g-anna's tag in the demo import
NOON = datetime(2026, 12, 2, 11, 0, tzinfo=UTC)


def _run(db: str, *args: str) -> tuple[int, str]:
    r = CliRunner().invoke(cli, [*args, "--db", db])
    return r.exit_code, r.output


def _status(store: CentralStore, device_id: str, version: str) -> None:
    store.record_device_status(
        device_id, json.dumps({"schema": "lh.status/1", "state": "online", "version": version})
    )


def _roster(store: CentralStore, device_id: str = "dev-a") -> Roster:
    return PlanProvider(store).complete_roster(store.build_roster("solen", now=NOON), [device_id])


def _state(store: CentralStore) -> tuple[list[tuple[str, datetime | None]], list[tuple[str, str, str]]]:
    with store.session() as s:
        tags = [(t.digest, t.blocked_at) for t in s.scalars(select(Tag).order_by(Tag.digest))]
        audit = [(a.action, a.entity, a.entity_id) for a in s.scalars(select(AuditRow).order_by(AuditRow.id))]
    return tags, audit


def _anna(roster: Roster) -> list[str]:
    return next(g.tag_digests for g in roster.guardians if g.id == "g-anna")


def test_block_by_uid_audits_the_digest_and_the_roster_refuses_it(seeded: tuple[str, bytes]) -> None:
    db, key = seeded
    digest = tag_digest(key, ANNA_UID)
    store = CentralStore(db)
    try:
        _status(store, "dev-a", DEVICE_RELEASE)
        before = _roster(store)
        assert _anna(before) == [digest] and before.blocked_tags == []

        code, out = _run(db, "tag", "block", "--uid", "04:a1:b2:c3", "--reason", "lost")
        assert code == 0, out
        assert f"blocked tag {digest} of guardian g-anna" in out and "solen" in out
        assert ANNA_UID not in out.upper().replace(":", "")
        with store.session() as s:
            (row,) = s.scalars(select(AuditRow).where(AuditRow.action == "tag.block")).all()
            assert (row.actor_role, row.actor_id, row.entity, row.entity_id) == (
                "admin",
                "cli",
                "tag",
                digest,
            )
            assert row.reason == "lost" and row.after is not None and row.after["owner_id"] == "g-anna"
            assert ANNA_UID not in json.dumps([row.before, row.after, row.reason]).upper()
            assert s.get(Tag, digest).blocked_at is not None  # type: ignore[union-attr]

        after = _roster(store)
        assert _anna(after) == [], "the Pi can no longer map the tag to the family"
        assert after.blocked_tags == [digest]
        assert digest in encode(after).decode()
        assert _content_hash(after) != _content_hash(before), "serve's 15 s refresh republishes it"
        assert {g.id for g in after.guardians} == {g.id for g in before.guardians}, "the guardian stays"

        code, out = _run(db, "tag", "list", "--blocked")
        assert code == 0 and digest in out and "guardian g-anna" in out
        assert out.count("guardian ") == 1, "only the blocked tag"

        state = _state(store)
        code, out = _run(db, "tag", "block", "--digest", digest)
        assert code == 0 and "already blocked" in out
        assert _state(store) == state, "blocking again changes nothing and is not audited again"

        code, out = _run(db, "tag", "unblock", "--digest", digest)
        assert code == 0 and f"unblocked tag {digest}" in out
        again = _roster(store)
        assert _anna(again) == [digest] and again.blocked_tags == []
        assert _state(store)[1][-1] == ("tag.unblock", "tag", digest)
    finally:
        store.close()


def test_block_every_tag_of_a_guardian(seeded: tuple[str, bytes]) -> None:
    db, key = seeded
    code, out = _run(db, "tag", "block", "--owner", "g-anna")
    assert code == 0, out
    store = CentralStore(db)
    try:
        with store.session() as s:
            blocked = set(s.scalars(select(Tag.digest).where(Tag.blocked_at.is_not(None))))
            annas = set(s.scalars(select(Tag.digest).where(Tag.owner_id == "g-anna")))
        assert blocked == annas == {tag_digest(key, ANNA_UID)}
    finally:
        store.close()


def test_unknown_tag_or_owner_is_a_clear_error_and_changes_nothing(seeded: tuple[str, bytes]) -> None:
    db, _key = seeded
    store = CentralStore(db)
    try:
        before = _state(store)
        for args, says in [
            (["--digest", "ab" * 32], "no tag with digest abababab"),
            (["--uid", "04FFFFFF"], "no tag with digest"),
            (["--owner", "g-nobody"], "no guardian g-nobody"),
            (["--uid", "xyz"], "tag UID must be 4, 7 or 10 bytes of hex"),
            ([], "exactly one of --owner, --digest or --uid"),
            (["--owner", "g-anna", "--digest", "ab" * 32], "exactly one of"),
        ]:
            for verb in ("block", "unblock"):
                code, out = _run(db, "tag", verb, *args)
                assert code == 1 and says in out, (verb, args, out)
                assert "nothing was changed" in out or "exactly one" in out or "UID" in out
        assert _state(store) == before
    finally:
        store.close()


def test_an_older_device_gets_no_blocked_tags_field_but_the_tag_still_names_no_one(
    seeded: tuple[str, bytes], tmp_path: Path
) -> None:
    db, key = seeded
    digest = tag_digest(key, ANNA_UID)
    assert _run(db, "tag", "block", "--digest", digest)[0] == 0
    store = CentralStore(db)
    try:
        _status(store, "dev-a", "0.2.0")  # knows unit and notices, not blocked_tags
        roster = _roster(store)
        assert roster.blocked_tags is None and b"blocked_tags" not in encode(roster)
        assert roster.unit is not None, "the fields it does know still go"
        assert _anna(roster) == [], "it shows the tag as unknown: refused all the same"
    finally:
        store.close()
