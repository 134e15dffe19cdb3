"""lh-central export guardian: a guardian's access request (registerutdrag) as JSON."""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from central import audit
from central.cli import app
from central.db.schema import (
    AbsenceRow,
    AgreementRow,
    DeadLetter,
    EventRow,
    Guardian,
    LeaveRow,
    Tag,
    WebSession,
)
from central.store import CentralStore

NOW = dt.datetime(2026, 11, 29, 10, 0, tzinfo=dt.UTC)
PNR_DIGEST = "ab" * 32


def _event(child: str, actor: str, kind: str = "guardian", seq: int = 1) -> EventRow:
    return EventRow(
        event_id=str(uuid.uuid4()),
        device_id="dev-a",
        seq=seq,
        type="check_in",
        child_id=child,
        actor_kind=kind,
        actor_id=actor,
        method="tag",
        occurred_at=NOW,
        clock_synced=True,
        received_at=NOW,
    )


def _populate(url: str) -> None:
    store = CentralStore(url)
    with store.session() as s, s.begin():
        s.get(Guardian, "g-anna").pnr_digest = PNR_DIGEST  # type: ignore[union-attr]
        s.add(
            AgreementRow(
                id="ag-1",
                child_id="c-alva",
                kind="pickup_by",
                first=dt.date(2026, 12, 1),
                last=dt.date(2026, 12, 1),
                person_name="Mormor Eva",
                person_phone="070-999 99 99",
                created_by="g-erik",
                created_at=NOW,
            )
        )
        audit.record(
            s,
            actor_role="guardian",
            actor_id="g-erik",
            action="agreement.add",
            entity="agreement",
            entity_id="ag-1",
            after={"child_id": "c-alva", "kind": "pickup_by", "person_name": "Mormor Eva", "by": "g-erik"},
            at=NOW,
        )
        s.add(
            LeaveRow(
                id="lv-1",
                child_id="c-noah",
                first=dt.date(2026, 12, 24),
                last=dt.date(2026, 12, 31),
                created_by="g-anna",
                created_at=NOW,
            )
        )
        s.add(
            AbsenceRow(
                id="ab-1",
                child_id="c-noah",
                day=dt.date(2026, 11, 30),
                reason="förkyld",
                created_by="s-lena",
                created_at=NOW,
            )
        )
        audit.record(
            s,
            actor_role="guardian",
            actor_id="g-anna",
            action="guardian.contact",
            entity="guardian",
            entity_id="g-anna",
            before={"phone": "070-111 11 11"},
            after={"phone": "070-123 45 67"},
            at=NOW,
        )
        audit.record(
            s,
            actor_role="guardian",
            actor_id="g-erik",
            action="guardian.contact",
            entity="guardian",
            entity_id="g-erik",
            before={"phone": "070-222 22 22"},
            after={"phone": "070-222 00 00"},
            at=NOW,
        )
        audit.record(
            s,
            actor_role="staff",
            actor_id="s-lena",
            action="presence.correct",
            entity="child",
            entity_id="c-elsa",
            reason="glömde",
            at=NOW,
        )
        s.add(_event("c-alva", "g-anna"))
        s.add(_event("c-alva", "g-erik", seq=2))
        s.add(_event("c-noah", "s-lena", kind="staff", seq=3))
        s.add(_event("c-elsa", "g-maria", seq=4))
        s.add(
            DeadLetter(
                received_at=NOW,
                topic="lh/v1/dev/dev-a/events",
                device_id="dev-a",
                event_id="x",
                reason="unknown actor",
                payload=json.dumps({"child_id": "c-alva"}).encode(),
            )
        )
        s.add(
            WebSession(
                token_hash="f" * 64,
                guardian_id="g-anna",
                role="guardian",
                csrf="c" * 64,
                lang="sv",
                created_at=NOW,
                last_seen=NOW,
            )
        )
    store.close()


def test_export_holds_the_guardian_and_children_and_nobody_else(seeded, tmp_path: Path) -> None:
    url, _key = seeded
    _populate(url)
    store = CentralStore(url, run_migrations=False)
    with store.session() as s:
        digests = list(s.scalars(select(Tag.digest)))
    store.close()
    out = tmp_path / "anna.json"
    r = CliRunner().invoke(app, ["export", "guardian", "g-anna", "--out", str(out), "--db", url])
    assert r.exit_code == 0, r.output
    assert os.stat(out).st_mode & 0o777 == 0o600
    text = out.read_text(encoding="utf-8")
    data = json.loads(text)

    assert data["guardian"]["name"] == "Anna Svensson" and data["guardian"]["email"] == "anna@example.se"
    assert "cannot be turned back" in data["guardian"]["personal_identity_number"]
    assert [c["id"] for c in data["children"]] == ["c-alva", "c-noah"]
    alva, noah = data["children"]
    assert alva["other_guardians_linked"] == 1
    assert alva["agreements"][0]["person_name"] == "Mormor Eva"
    assert alva["agreements"][0]["created_by"] == "another guardian"
    assert sorted(e["actor"] for e in alva["events"]) == ["another guardian", "you"]
    assert noah["events"][0]["actor"] == "s-lena", "staff stay named"
    assert noah["leave"][0]["created_by"] == "you" and noah["absences"][0]["reason"] == "förkyld"
    assert len(data["tags"]) == 1 and len(data["web_sessions"]) == 1
    actions = [(a["action"], a["entity_id"]) for a in data["audit_log"]]
    assert ("agreement.add", "ag-1") in actions and ("guardian.contact", "g-anna") in actions
    assert all(a["entity_id"] not in ("g-erik", "c-elsa") for a in data["audit_log"])
    assert data["rejected_messages"][0]["reason"] == "unknown actor"

    # nothing about other guardians or families, no tag UIDs or digests, no pnr digest, no tokens
    for forbidden in (
        "g-erik",
        "Erik",
        "erik@example.se",
        "070-222",
        "c-elsa",
        "Elsa",
        "g-maria",
        "04A1B2C3",
        PNR_DIGEST,
        "f" * 64,
        "c" * 64,
        *digests,
    ):
        assert forbidden not in text, forbidden


def test_export_to_stdout_and_unknown_guardian(seeded) -> None:
    url, _key = seeded
    r = CliRunner().invoke(app, ["export", "guardian", "g-karin", "--db", url])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["format"] == "lh.guardian-export/1" and data["guardian"]["email"] is None
    assert data["guardian"]["personal_identity_number"] == "not kept"
    assert [c["id"] for c in data["children"]] == ["c-ines"]
    r = CliRunner().invoke(app, ["export", "guardian", "g-nobody", "--db", url])
    assert r.exit_code == 1 and "no guardian" in r.output
