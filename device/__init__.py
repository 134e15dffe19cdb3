"""The hallway device: reader, feedback, touchscreen, durable outbox and MQTT link."""

__version__ = "0.3.0"
