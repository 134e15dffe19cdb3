"""The ingest work in a process of its own.

In one process, paho's network thread (reading and parsing every PUBLISH) and the
ingest worker (validating, storing, encoding acks) share one GIL: each time the worker
gives it up for a database call it waits up to a switch interval to get it back, and a
2 ms roster build took 30 ms under load (bench/ingest.py, docs/decisions.md).  Here the
database side runs in a child process started with ``spawn`` (no fork of a threaded
process); the parent keeps the MQTT session, hands over a batch of raw messages and
gets back ready-to-publish ack payloads.

The delivery contract does not change: the parent sends PUBACK only after the child
returned, i.e. after the commit.  If the child dies mid-batch nothing of it was
committed (or all of it was: then the retry is acked ``duplicate``); the parent starts
a new child and retries the same batch.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from central.ingest import Ingestor, IngestOutcome, RawMessage
from central.store import CentralStore
from protocol.codec import encode
from protocol.messages import Ack
from protocol.topics import Topics

logger = logging.getLogger(__name__)

ACKS_PER_MESSAGE = 1000
START_TIMEOUT_S = 120.0


@dataclass
class ProcessedBatch:
    """What the MQTT side needs from a stored batch: small, picklable, already encoded."""

    acks: dict[str, list[bytes]] = field(default_factory=dict)
    """Per device, the ack payloads to publish (at most ACKS_PER_MESSAGE results each)."""
    acked: int = 0
    changed_departments: set[str] = field(default_factory=set)
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    dead_letters: int = 0
    implausible_time: int = 0
    unconfirmed_handover: int = 0


def finish(outcome: IngestOutcome) -> ProcessedBatch:
    """Encode an ingest outcome's acks; the same code in the child and in-thread."""
    out = ProcessedBatch(
        changed_departments=set(outcome.changed_departments),
        stored=outcome.stored,
        duplicates=outcome.duplicates,
        rejected=outcome.rejected,
        dead_letters=outcome.dead_letters,
        implausible_time=outcome.implausible_time,
        unconfirmed_handover=outcome.unconfirmed_handover,
    )
    for device_id, results in outcome.acks.items():
        out.acks[device_id] = [
            encode(Ack(results=results[i : i + ACKS_PER_MESSAGE]))
            for i in range(0, len(results), ACKS_PER_MESSAGE)
        ]
        out.acked += len(results)
    return out


# -- in the child ---------------------------------------------------------------------

_ingestor: Ingestor | None = None


def _child_init(db_url: str, topic_prefix: str, log_level: int) -> None:
    global _ingestor
    # Ctrl-C and systemd's SIGTERM reach the whole process group: the parent finishes or
    # abandons the batch in hand and closes this process itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is not None:  # SIGKILLed parent: nothing closes our queue, so watch for it
        threading.Thread(target=_exit_with, args=(parent.sentinel,), name="parent-watch", daemon=True).start()
    logging.basicConfig(
        level=log_level, format="%(asctime)s %(levelname)s %(name)s [ingest process]: %(message)s"
    )
    _ingestor = Ingestor(CentralStore(db_url, run_migrations=False), Topics(topic_prefix))
    gc.collect()  # start-up done: full collections skip what lives as long as this process
    gc.freeze()


def _exit_with(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])
    os._exit(0)  # an open transaction is rolled back by the database


def _child_ready() -> bool:
    return _ingestor is not None


def _child_process(batch: list[tuple[str, bytes]]) -> ProcessedBatch:
    assert _ingestor is not None, "initializer did not run"
    try:
        return finish(_ingestor.process([RawMessage(topic, payload) for topic, payload in batch]))
    except Exception as exc:
        # Database errors carry driver objects that may not pickle; the parent only
        # needs to know the batch was not stored, and the traceback is logged here.
        logger.exception("storing a batch failed")
        raise IngestError(f"{type(exc).__name__}: {exc}") from None


class IngestError(RuntimeError):
    """The batch was not stored (the database is away, say); retry it."""


# -- in the parent --------------------------------------------------------------------


class IngestProcess:
    """One child process that stores batches; restarted if it dies."""

    def __init__(self, db_url: str, topics: Topics) -> None:
        self._args = (db_url, topics.prefix, logging.getLogger().getEffectiveLevel())
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        """Start the child and wait until it has opened the database."""
        self._pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_child_init,
            initargs=self._args,
        )
        if not self._pool.submit(_child_ready).result(timeout=START_TIMEOUT_S):
            raise RuntimeError("the ingest process did not start")

    @property
    def pid(self) -> int | None:
        """The child's process id (for tests and the technician who wonders)."""
        if self._pool is None:
            return None
        pids = list(self._pool._processes)  # no public accessor; read-only use
        return pids[0] if pids else None

    def process(self, messages: Sequence[RawMessage]) -> ProcessedBatch:
        """Store a batch in the child; raises if it was not stored (the caller retries)."""
        if self._pool is None:
            self.start()  # first use, or the child died during the last batch
        assert self._pool is not None
        try:
            return self._pool.submit(_child_process, [(m.topic, m.payload) for m in messages]).result()
        except BrokenProcessPool:
            logger.error("the ingest process died; the batch will be retried in a new one")
            pool, self._pool = self._pool, None
            pool.shutdown(wait=False, cancel_futures=True)
            raise

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
