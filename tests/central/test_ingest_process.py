"""What the ingest process hands back: ack payloads that are valid lh.ack/1, chunked."""

from __future__ import annotations

import uuid

from central.ingest import IngestOutcome
from central.ingest_process import ACKS_PER_MESSAGE, finish
from protocol.codec import decode_ack
from protocol.messages import AckResult, AckStatus


def test_finish_chunks_and_encodes_every_ack() -> None:
    outcome = IngestOutcome(stored=1500, rejected=1, changed_departments={"solen"})
    ids = [str(uuid.uuid4()) for _ in range(1500)]
    outcome.acks["dev-a"] = [AckResult(event_id=i, status=AckStatus.STORED) for i in ids]
    outcome.acks["dev-b"] = [AckResult(event_id="x", status=AckStatus.REJECTED, reason="unknown child 'c'")]
    out = finish(outcome)
    assert out.acked == 1501 and out.stored == 1500 and out.rejected == 1
    assert out.changed_departments == {"solen"}
    a = [decode_ack(p) for p in out.acks["dev-a"]]
    assert [len(x.results) for x in a] == [ACKS_PER_MESSAGE, 1500 - ACKS_PER_MESSAGE]
    assert [r.event_id for x in a for r in x.results] == ids  # all of them, in order
    (b,) = (decode_ack(p) for p in out.acks["dev-b"])
    assert b.results[0].status == AckStatus.REJECTED and b.results[0].reason == "unknown child 'c'"
