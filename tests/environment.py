"""The real services a test needs, from the environment: a skip that says why, or under CI a
failure (CI must run everything)."""

from __future__ import annotations

import os

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def need(service: str, env: str) -> str:
    """The URL of a real service, or a skip that says why (a failure under CI)."""
    url = os.environ.get(env)
    if url:
        return url
    message = f"{service} tests need {env} (e.g. a local {service}); set it to run them"
    if IN_CI:
        pytest.fail(f"{message}: under CI=true they must not skip")
    pytest.skip(message)
