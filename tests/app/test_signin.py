"""Sign-in through the identity provider: /auth/login sends the browser there with the right
parameters and only ever back to one of the pages; the token it returns is accepted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import wipe
from tests.identity_provider import CLIENT_ID, IdentityProvider, mentori_with_sign_in
from tests.support import Api, Server

SignIn = tuple[Server, IdentityProvider]


@pytest.fixture(scope="module")
async def signin(
    database: tuple[str, AsyncEngine], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[SignIn]:
    async with mentori_with_sign_in(database[0], tmp_path_factory.mktemp("mail")) as running:
        yield running


async def start(server: Server, next_page: str) -> tuple[httpx.Response, dict[str, str]]:
    """/auth/login?next=…: the answer, and the parameters it sends the browser on with."""
    async with httpx.AsyncClient(base_url=server.url) as client:
        response = await client.get("/auth/login", params={"next": next_page})
    assert response.status_code == 302, response.text
    query = parse_qs(urlsplit(response.headers["location"]).query)
    return response, {name: values[0] for name, values in query.items()}


async def test_sign_in_sends_the_browser_to_the_identity_provider(signin: SignIn) -> None:
    server, provider = signin
    response, asked = await start(server, "/mentor")
    assert response.headers["location"].startswith(provider.authorize_url + "?")
    assert asked.pop("nonce")
    assert asked.pop("state").endswith(":/mentor")
    assert asked == {
        "response_type": "id_token",
        "client_id": CLIENT_ID,
        "redirect_uri": f"{server.url}/auth/callback",
        "scope": "openid profile email",
    }


async def test_each_sign_in_gets_its_own_state_and_nonce(signin: SignIn) -> None:
    server, _ = signin
    first, first_asked = await start(server, "/dashboard")
    _second, second_asked = await start(server, "/dashboard")
    assert first_asked["state"] != second_asked["state"]
    assert first_asked["nonce"] != second_asked["nonce"]
    # The callback page checks the answer against these (the state's key, then the nonce).
    key = first_asked["state"].split(":")[0]
    assert first.cookies["mentori_signin"] == f"{key}.{first_asked['nonce']}"


@pytest.mark.parametrize(
    "next_page",
    [
        "https://evil.example.com/",
        "//evil.example.com/dashboard",
        "/graphql",
        "/dashboard/../x",
        "",
    ],
)
async def test_a_sign_in_never_ends_anywhere_but_a_page(signin: SignIn, next_page: str) -> None:
    server, _ = signin
    _, asked = await start(server, next_page)
    assert asked["state"].split(":", 1)[1] == "/dashboard"


async def test_the_token_the_identity_provider_returns_signs_the_person_in(
    signin: SignIn, database: tuple[str, AsyncEngine]
) -> None:
    server, provider = signin
    await wipe(database[1])
    _, asked = await start(server, "/dashboard")
    async with httpx.AsyncClient(base_url=server.url) as client:
        back = await client.get(provider.authorize_url, params=asked)
        assert back.status_code == 302
        callback, _, fragment = back.headers["location"].partition("#")
        answer = {name: values[0] for name, values in parse_qs(fragment).items()}
        assert callback == f"{server.url}/auth/callback"
        assert answer["state"] == asked["state"]
        page = await client.get("/auth/callback")
        assert page.status_code == 200
        assert "/static/callback.js" in page.text
        viewer = await client.post(
            "/graphql",
            json={"query": "{ viewer { name role } }"},
            headers={"authorization": f"Bearer {answer['id_token']}"},
        )
    assert viewer.json() == {
        "data": {"viewer": {"name": "Kaisa Koordinaattori", "role": "COORDINATOR"}}
    }


async def test_the_pages_learn_that_sign_in_goes_through_the_identity_provider(
    signin: SignIn,
) -> None:
    server, _ = signin
    async with httpx.AsyncClient(base_url=server.url) as client:
        config = (await client.get("/auth/config")).json()
    assert config == {"identityProvider": True, "loginUrl": "/auth/login", "development": False}


async def test_without_an_identity_provider_sign_in_says_how_to_get_a_token(api: Api) -> None:
    config = (await api.client.get("/auth/config")).json()
    assert config == {"identityProvider": False, "loginUrl": "/auth/login", "development": True}
    response = await api.client.get("/auth/login", params={"next": "/dashboard"})
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "SIGN_IN_NOT_CONFIGURED"
    assert "OIDC_AUTHORIZE_URL" in body["message"]
    assert "mentori token coordinator" in body["message"]
