"""Sign-in tests share one production server per module, signing people in through the fake
providers (tests/identity_provider.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import START
from tests.identity_provider import Providers, mentori_with_providers
from tests.servers import Server

SignIn = tuple[Server, Providers]


@pytest.fixture(scope="module")
async def providers_site(
    database: tuple[str, AsyncEngine], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[SignIn]:
    async with mentori_with_providers(database[0], tmp_path_factory.mktemp("mail")) as found:
        yield found


@pytest.fixture
def signin(providers_site: SignIn) -> SignIn:
    """The module's server and providers, as at the start of a test."""
    server, providers = providers_site
    providers.reset()
    server.clock.now = START
    return providers_site
