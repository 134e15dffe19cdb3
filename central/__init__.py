"""The central service: ingest (MQTT in, acks out), rules, storage, API and reports."""

__version__ = "0.1.0"
