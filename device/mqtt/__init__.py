"""The device's MQTT link: drains the outbox to central, applies acks and rosters."""

from device.mqtt.link import DeviceLink, LinkState

__all__ = ["DeviceLink", "LinkState"]
