"""Fixtures for the unattended-operation tests: the local webhook and SMTP receivers of the alerts."""

from hotspots.conftest import smtp_server, webhook_server  # noqa: F401 - re-exported as fixtures
