"""Tests of central.rules, the pure rules engine."""
