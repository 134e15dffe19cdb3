"""MQTT topic names of protocol v1.

A device's id is both its MQTT username and its client id, and one topic level,
so it must be a plain token: the broker ACL substitutes it with ``%u``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_PREFIX = "lh/v1"

#: Device ids are lowercase tokens such as ``forskolan-solen-1``: safe as an MQTT
#: topic level, a username, a file name and a certificate CN.
DEVICE_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")

SHARED_GROUP = "central"


def is_valid_device_id(device_id: str) -> bool:
    """True if ``device_id`` can be used as an MQTT topic level, username and file name."""
    return bool(DEVICE_ID_RE.fullmatch(device_id))


@dataclass(frozen=True, slots=True)
class Topics:
    """Builds and parses the topics under one prefix (``lh/v1`` unless configured)."""

    prefix: str = DEFAULT_PREFIX

    def __post_init__(self) -> None:
        if not self.prefix or self.prefix.startswith("/") or self.prefix.endswith("/"):
            raise ValueError(f"topic prefix {self.prefix!r} must not be empty or start/end with '/'")
        if any(c in self.prefix for c in "+#$"):
            raise ValueError(f"topic prefix {self.prefix!r} must not contain wildcards or '$'")

    def events(self, device_id: str) -> str:
        return f"{self.prefix}/dev/{device_id}/events"

    def acks(self, device_id: str) -> str:
        return f"{self.prefix}/dev/{device_id}/acks"

    def roster(self, device_id: str) -> str:
        return f"{self.prefix}/dev/{device_id}/roster"

    def status(self, device_id: str) -> str:
        return f"{self.prefix}/dev/{device_id}/status"

    @property
    def central_status(self) -> str:
        return f"{self.prefix}/central/status"

    @property
    def all_events(self) -> str:
        return f"{self.prefix}/dev/+/events"

    @property
    def all_statuses(self) -> str:
        return f"{self.prefix}/dev/+/status"

    def shared(self, topic_filter: str, group: str = SHARED_GROUP) -> str:
        """The MQTT v5 shared-subscription form of ``topic_filter``."""
        return f"$share/{group}/{topic_filter}"

    def device_of(self, topic: str, kind: str) -> str | None:
        """The device id in ``{prefix}/dev/{id}/{kind}``, or None if the topic is not one."""
        head = f"{self.prefix}/dev/"
        tail = f"/{kind}"
        if not (topic.startswith(head) and topic.endswith(tail)):
            return None
        device_id = topic[len(head) : -len(tail)]
        return device_id if is_valid_device_id(device_id) else None
