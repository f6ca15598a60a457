"""The sign-in routes: /auth/login/<key> sends the browser to the provider with PKCE, a state
and a nonce of its own, and the sign-in ends only on one of the pages; /auth/config tells the
pages how people sign in; /auth/logout ends the session, from the pages only."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from app.main import PAGES
from tests.app.conftest import SignIn
from tests.clients import Api
from tests.identity_provider import (
    CLIENT_ID,
    ask,
    session_cookie,
    sign_in,
    start_sign_in,
)

VIEWER = "{ viewer { name } }"


def asked(login: httpx.Response) -> dict[str, str]:
    """The parameters the browser is sent to the provider with."""
    query = parse_qs(urlsplit(login.headers["location"]).query)
    return {name: values[0] for name, values in query.items()}


async def test_sign_in_sends_the_browser_to_the_provider_with_pkce(signin: SignIn) -> None:
    server, providers = signin
    async with httpx.AsyncClient(base_url=server.url) as client:
        login = await start_sign_in(client, "university", "/mentor")
    assert login.headers["location"].startswith(providers.university.authorize_url + "?")
    assert login.headers["cache-control"] == "no-store"
    parameters = asked(login)
    for unique in ("state", "nonce", "code_challenge"):
        assert len(parameters.pop(unique)) >= 20, unique
    assert parameters == {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": f"{server.url}/auth/callback/university",
        "scope": "openid profile email",
        "code_challenge_method": "S256",
    }
    # The state, nonce and verifier wait in a short-lived cookie only /auth/ sees.
    cookie = login.headers["set-cookie"].lower()
    assert cookie.startswith("mentori_signin=")
    for attribute in ("path=/auth", "max-age=600", "httponly", "samesite=lax"):
        assert attribute in cookie, attribute


async def test_each_sign_in_gets_its_own_state_nonce_and_challenge(signin: SignIn) -> None:
    server, _ = signin
    async with httpx.AsyncClient(base_url=server.url) as client:
        first = asked(await start_sign_in(client))
        second = asked(await start_sign_in(client))
    for unique in ("state", "nonce", "code_challenge"):
        assert first[unique] != second[unique], unique


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
    async with httpx.AsyncClient(base_url=server.url) as client:
        back = await sign_in(client, "university", next_page)
    assert back.status_code == 303
    assert back.headers["location"] == "/dashboard"


@pytest.mark.parametrize("page", list(PAGES))
async def test_a_sign_in_ends_on_the_page_it_started_from(signin: SignIn, page: str) -> None:
    server, _ = signin
    async with httpx.AsyncClient(base_url=server.url) as client:
        back = await sign_in(client, "university", page)
    assert back.headers["location"] == page


async def test_a_finished_sign_in_leaves_no_state_behind(signin: SignIn) -> None:
    server, _ = signin
    async with httpx.AsyncClient(base_url=server.url) as client:
        await sign_in(client)
        assert "mentori_signin" not in client.cookies
        assert session_cookie(client)


async def test_a_provider_this_server_does_not_know_is_a_page_that_says_so(
    signin: SignIn,
) -> None:
    server, _ = signin
    async with httpx.AsyncClient(base_url=server.url) as client:
        for path in ("/auth/login/nowhere", "/auth/callback/nowhere?code=x&state=y"):
            response = await client.get(path)
            assert response.status_code == 404
            assert "This server offers no such way to sign in." in response.text


async def test_the_pages_learn_which_ways_of_signing_in_there_are(signin: SignIn) -> None:
    server, _ = signin
    async with httpx.AsyncClient(base_url=server.url) as client:
        config = (await client.get("/auth/config")).json()
    assert config == {
        "providers": [
            {
                "key": "university",
                "label": "University account",
                "loginUrl": "/auth/login/university",
            },
            {"key": "alumni", "label": "Alumni account", "loginUrl": "/auth/login/alumni"},
        ],
        "emailSignIn": True,
        "development": False,
    }


async def test_without_providers_the_pages_learn_there_are_none(api: Api) -> None:
    config = (await api.client.get("/auth/config")).json()
    assert config["providers"] == []
    assert config["development"] is True
    response = await api.client.get("/auth/login/university", params={"next": "/dashboard"})
    assert response.status_code == 404
    assert "no such way to sign in" in response.text


async def test_signing_out_ends_the_session_and_offers_the_providers_sign_out(
    signin: SignIn,
) -> None:
    server, providers = signin
    async with httpx.AsyncClient(base_url=server.url) as client:
        await sign_in(client)
        cookie = session_cookie(client)
        answer = await client.post("/auth/logout", json={}, headers={"origin": server.url})
        assert answer.status_code == 200
        body = answer.json()
        assert body["signedOut"] is True
        assert "mentori_session" not in client.cookies
        stale = await ask(client, VIEWER, headers={"cookie": f"mentori_session={cookie}"})
    assert stale.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    end = urlsplit(body["endSessionUrl"])
    assert f"{end.scheme}://{end.netloc}{end.path}" == f"{providers.university.url}/end_session"
    query = {k: v[0] for k, v in parse_qs(end.query).items()}
    assert query["post_logout_redirect_uri"] == server.settings.public_url
    assert query["client_id"] == CLIENT_ID
    assert query["id_token_hint"] == providers.university.issued[-1]  # the session's own


async def test_signing_out_by_a_form_of_the_pages_works_too(signin: SignIn) -> None:
    server, _ = signin
    async with httpx.AsyncClient(base_url=server.url) as client:
        await sign_in(client, "alumni")
        answer = await client.post("/auth/logout", data={}, headers={"origin": server.url})
        assert answer.json()["signedOut"] is True
        assert (await ask(client, VIEWER)).json()["data"]["viewer"] is None


async def test_signing_out_without_a_session_is_no_error(signin: SignIn) -> None:
    server, _ = signin
    async with httpx.AsyncClient(base_url=server.url) as client:
        answer = await client.post("/auth/logout", headers={"origin": server.url})
    assert answer.json() == {"signedOut": True, "endSessionUrl": None}


@pytest.mark.parametrize("origin", [None, "https://evil.example.com"])
async def test_another_site_cannot_sign_a_person_out(signin: SignIn, origin: str | None) -> None:
    server, _ = signin
    async with httpx.AsyncClient(base_url=server.url) as client:
        await sign_in(client)
        answer = await client.post("/auth/logout", headers={"origin": origin} if origin else {})
        assert answer.status_code == 403
        assert answer.json()["errors"][0]["extensions"]["code"] == "CSRF_REFUSED"
        assert (await ask(client, VIEWER)).json()["data"]["viewer"]["name"]
