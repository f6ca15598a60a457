"""/metrics: open on a development server; in production only with METRICS_TOKEN, as a bearer
secret (without one set, production does not serve it at all)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.clients import Api
from tests.clock import FakeClock
from tests.conftest import START, server_settings
from tests.servers import running_server

SECRET = "a-metrics-secret-only-prometheus-knows-0123"


@asynccontextmanager
async def metrics_of(
    database: tuple[str, AsyncEngine], tmp_path_factory: pytest.TempPathFactory, **overrides: object
) -> AsyncIterator[httpx.AsyncClient]:
    settings = server_settings(
        database[0], tmp_path_factory.mktemp("mail"), scheduler_enabled=False, **overrides
    )
    async with (
        running_server(settings, FakeClock(START)) as server,
        httpx.AsyncClient(base_url=server.url, timeout=30) as client,
    ):
        yield client


PRODUCTION = {"env": "production", "jwt_secret": "production-secret-" + "x" * 40}


async def test_development_serves_metrics_to_anyone(api: Api) -> None:
    response = await api.client.get("/metrics")
    assert response.status_code == 200
    assert "mentori_subscribers" in response.text


async def test_production_without_a_metrics_token_serves_no_metrics(
    database: tuple[str, AsyncEngine], tmp_path_factory: pytest.TempPathFactory
) -> None:
    async with metrics_of(database, tmp_path_factory, **PRODUCTION) as client:
        response = await client.get("/metrics")
        assert response.status_code == 404
        assert "mentori_" not in response.text
        assert (await client.get("/healthz")).status_code == 200


@pytest.mark.parametrize("env", ["production", "development"])
async def test_with_a_metrics_token_only_its_bearer_reads_metrics(
    database: tuple[str, AsyncEngine], tmp_path_factory: pytest.TempPathFactory, env: str
) -> None:
    overrides = PRODUCTION if env == "production" else {}
    async with metrics_of(database, tmp_path_factory, **overrides, metrics_token=SECRET) as client:
        for header in (None, "Bearer wrong", f"Basic {SECRET}", f"Bearer {SECRET}x"):
            headers = {"authorization": header} if header else {}
            refused = await client.get("/metrics", headers=headers)
            assert refused.status_code == 401, header
            assert refused.headers["www-authenticate"] == "Bearer"
            assert "mentori_" not in refused.text
        allowed = await client.get("/metrics", headers={"authorization": f"Bearer {SECRET}"})
        assert allowed.status_code == 200
        assert "mentori_subscribers" in allowed.text
