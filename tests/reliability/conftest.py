"""The API fixtures of tests/api, for the reliability tests that drive the HTTP API."""

from tests.api.conftest import api  # noqa: F401
