"""The device's durable state in one SQLite file: outbox, sequence, roster cache, presence."""

from device.store.store import DeviceStore, OutboxItem

__all__ = ["DeviceStore", "OutboxItem"]
