"""Signing in through the identity providers with the authorization code flow and PKCE, step by
step as a browser follows the redirects: the session cookie it ends with works on /graphql and
on the WebSocket, from the server's own pages only; every answer that cannot be trusted (another
browser's code, a replayed code, a forged state, a token for someone else) signs nobody in."""

from __future__ import annotations

from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from tests.app.conftest import SignIn
from tests.clients import WebSocketClosed
from tests.identity_provider import (
    ALUMNA,
    CLIENT_ID,
    COORDINATOR,
    COORDINATORS,
    STUDENT,
    ask,
    at_provider,
    cookie_live_client,
    session_cookie,
    sign_in,
    start_sign_in,
)
from tests.servers import Server

VIEWER = "{ viewer { id name role roles } }"
UNTRUSTED = "The sign-in service's answer could not be trusted, so you were not signed in."


def browser(server: Server) -> httpx.AsyncClient:
    """A client that keeps cookies, as a browser does, and follows no redirect by itself."""
    return httpx.AsyncClient(base_url=server.url, timeout=30)


def viewer_of(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), body
    viewer: dict[str, Any] = body["data"]["viewer"]
    return viewer


def refused_page(response: httpx.Response, status: int = 400) -> str:
    """A failed sign-in: a page that says why in a sentence and offers to start again."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "Sign in again" in response.text
    assert "Traceback" not in response.text
    assert "mentori_session" not in response.headers.get("set-cookie", "")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"  # its address held the code
    assert "default-src 'self'" in response.headers["content-security-policy"]
    return unescape(response.text)


async def test_signing_in_opens_a_session_that_the_api_and_the_websocket_accept(
    signin: SignIn,
) -> None:
    server, providers = signin
    async with browser(server) as client:
        back = await sign_in(client, "university", "/mentor")
        assert back.status_code == 303
        assert back.headers["location"] == "/mentor"
        cookie = back.headers["set-cookie"].lower()
        assert "mentori_session=" in cookie
        assert "httponly" in cookie
        assert "samesite=lax" in cookie
        assert "path=/" in cookie

        viewer = viewer_of(await ask(client, VIEWER))
        assert (viewer["name"], viewer["role"]) == ("Kaisa Koordinaattori", "COORDINATOR")
        # A GET (queries only) needs no Origin: a page's link or a reload sends none.
        assert viewer_of(await client.get("/graphql", params={"query": VIEWER})) == viewer

        async with cookie_live_client(
            server.ws_url, session_cookie(client), origin_url=server.url
        ) as live:
            assert live.ack == {"viewer": {"role": "COORDINATOR", "name": "Kaisa Koordinaattori"}}
    token_request = providers.university.token_requests[0]
    assert token_request["grant_type"] == "authorization_code"
    assert token_request["code_verifier"]  # PKCE: the verifier went with the code


async def test_a_code_issued_to_another_browser_is_refused_by_its_pkce_check(
    signin: SignIn,
) -> None:
    """An attacker's code slipped into the victim's callback: the victim's verifier does not
    match the challenge the attacker's code was issued for."""
    server, providers = signin
    async with browser(server) as victim, browser(server) as attacker:
        victim_login = await start_sign_in(victim)
        victim_state = parse_qs(urlsplit(victim_login.headers["location"]).query)["state"][0]
        attackers_callback = await at_provider(attacker, await start_sign_in(attacker))
        attackers_code = parse_qs(urlsplit(attackers_callback).query)["code"][0]
        answer = await victim.get(
            "/auth/callback/university", params={"code": attackers_code, "state": victim_state}
        )
        page = refused_page(answer)
    assert "refused to finish this sign-in" in page
    assert providers.university.refusals == ["the code_verifier does not match"]


async def test_an_answer_whose_state_this_browser_never_had_is_refused(signin: SignIn) -> None:
    server, providers = signin
    async with browser(server) as client:
        callback = await at_provider(client, await start_sign_in(client))
        code = parse_qs(urlsplit(callback).query)["code"][0]
        answer = await client.get(
            "/auth/callback/university", params={"code": code, "state": "forged-state"}
        )
        page = refused_page(answer)
        assert "does not belong to a sign-in started in this browser" in page
        assert (await ask(client, VIEWER)).json()["data"]["viewer"] is None
    assert providers.university.token_requests == []  # the code was never redeemed


async def test_an_answer_in_a_browser_that_started_no_sign_in_is_refused(signin: SignIn) -> None:
    server, _ = signin
    async with browser(server) as client, browser(server) as elsewhere:
        callback = await at_provider(client, await start_sign_in(client))
        page = refused_page(await elsewhere.get(callback))
    assert "does not belong to a sign-in started in this browser" in page


async def test_a_replayed_code_is_refused(signin: SignIn) -> None:
    server, providers = signin
    async with browser(server) as client, browser(server) as replaying:
        callback = await at_provider(client, await start_sign_in(client))
        replaying.cookies = httpx.Cookies(client.cookies)  # the state cookie, copied
        assert (await client.get(callback)).status_code == 303
        page = refused_page(await replaying.get(callback))
    assert "a sign-in link works only once" in page
    assert providers.university.refusals == ["the code was used already"]


@pytest.mark.parametrize(
    ("misconfigured", "value"),
    [
        ("token_issuer", "https://evil.example.com"),
        ("token_audience", "another-service"),
        ("token_nonce", "a-nonce-from-another-sign-in"),
    ],
)
async def test_an_id_token_not_meant_for_this_sign_in_is_refused(
    signin: SignIn, misconfigured: str, value: str
) -> None:
    server, providers = signin
    setattr(providers.university, misconfigured, value)
    async with browser(server) as client:
        page = refused_page(await sign_in(client))
        assert UNTRUSTED in page
        assert (await ask(client, VIEWER)).json()["data"]["viewer"] is None


async def test_a_sign_in_the_provider_declined_says_so(signin: SignIn) -> None:
    server, _ = signin
    async with browser(server) as client:
        login = await start_sign_in(client, next_page="/browse")
        state = parse_qs(urlsplit(login.headers["location"]).query)["state"][0]
        answer = await client.get(
            "/auth/callback/university",
            params={"error": "access_denied", "error_description": "<b>no</b>", "state": state},
        )
        page = refused_page(answer)
    assert "The sign-in service did not sign you in." in page
    assert "<b>no</b>" not in page  # nothing of the answer is shown as it came
    assert 'href="/auth/login/university?next=%2Fbrowse"' in page


@pytest.mark.parametrize(
    ("claims", "role", "roles"),
    [
        ({"affiliation": ["student", "member"], "groups": []}, "STUDENT", ["STUDENT"]),
        ({"affiliation": ["staff"], "groups": [COORDINATORS]}, "COORDINATOR", ["COORDINATOR"]),
        (
            {"affiliation": ["student"], "groups": [COORDINATORS]},
            "COORDINATOR",
            ["STUDENT", "COORDINATOR"],
        ),
    ],
)
async def test_the_university_claims_grant_the_mentori_roles_the_settings_map_them_to(
    signin: SignIn, claims: dict[str, object], role: str, roles: list[str]
) -> None:
    server, providers = signin
    providers.university.person = {**STUDENT, "sub": f"mapped-{role}-{len(roles)}", **claims}
    async with browser(server) as client:
        assert (await sign_in(client)).status_code == 303
        viewer = viewer_of(await ask(client, VIEWER))
    assert viewer["role"] == role
    assert sorted(viewer["roles"]) == sorted(roles)


async def test_someone_the_claims_grant_no_role_is_told_so(signin: SignIn) -> None:
    server, providers = signin
    providers.university.person = {**STUDENT, "sub": "visitor-1", "affiliation": ["affiliate"]}
    async with browser(server) as client:
        page = refused_page(await sign_in(client), status=403)
    assert "holds no role in Mentori" in page


async def test_the_alumni_sign_in_makes_a_mentor_known_by_that_provider(signin: SignIn) -> None:
    server, providers = signin
    async with browser(server) as client:
        back = await sign_in(client, "alumni", "/mentor/profile")
        assert back.headers["location"] == "/mentor/profile"
        viewer = viewer_of(await ask(client, VIEWER))
    assert (viewer["name"], viewer["role"]) == (ALUMNA["name"], "MENTOR")
    assert providers.alumni.token_requests[0]["client_id"] == "mentori-alumni"  # a public client
    # The same subject at the university is someone else: subjects are each provider's own.
    providers.university.person = {**STUDENT, "sub": ALUMNA["sub"]}
    async with browser(server) as client:
        await sign_in(client)
        assert viewer_of(await ask(client, VIEWER))["id"] != viewer["id"]


async def test_a_university_sign_in_is_the_person_their_bearer_tokens_name(
    signin: SignIn,
) -> None:
    server, providers = signin
    token = providers.university.id_token(audience=CLIENT_ID, nonce="api", claims=COORDINATOR)
    async with browser(server) as client:
        by_token = viewer_of(
            await client.post(
                "/graphql",
                json={"query": VIEWER},
                headers={"authorization": f"Bearer {token}"},
            )
        )
        await sign_in(client)
        assert viewer_of(await ask(client, VIEWER))["id"] == by_token["id"]


async def test_a_bearer_token_wins_over_the_session_cookie(signin: SignIn) -> None:
    server, providers = signin
    student = {**STUDENT, "role": "STUDENT"}
    token = providers.university.id_token(audience=CLIENT_ID, nonce="api", claims=student)
    async with browser(server) as client:
        await sign_in(client)  # a coordinator's session
        # An API client sends no Origin: the cookie is not what signs it in, so it may.
        answer = await client.post(
            "/graphql", json={"query": VIEWER}, headers={"authorization": f"Bearer {token}"}
        )
        assert viewer_of(answer)["name"] == "Sanna Opiskelija"


@pytest.mark.parametrize(
    "headers",
    [
        {},  # no Origin: not sent by a page
        {"origin": "https://evil.example.com"},
        {"origin": "http://localhost:1"},
        {"content-type": "text/plain"},  # what a form on another site may send unasked
    ],
)
async def test_a_post_by_cookie_from_anywhere_but_the_pages_is_refused(
    signin: SignIn, headers: dict[str, str]
) -> None:
    server, _ = signin
    async with browser(server) as client:
        await sign_in(client)
        sent = {"content-type": "application/json", "origin": server.url, **headers}
        if not headers:
            del sent["origin"]
        answer = await client.post(
            "/graphql", content=b'{"query": "{ viewer { id } }"}', headers=sent
        )
    assert answer.status_code == 403
    [error] = answer.json()["errors"]
    assert error["extensions"]["code"] == "CSRF_REFUSED"
    assert "does not come from Mentori's own pages" in error["message"]


async def test_a_websocket_by_cookie_from_another_site_is_refused(signin: SignIn) -> None:
    server, _ = signin
    async with browser(server) as client:
        await sign_in(client)
        cookie = session_cookie(client)
    with pytest.raises(InvalidStatus) as refused:  # the handshake itself
        async with cookie_live_client(server.ws_url, cookie, origin_url="https://evil.example.com"):
            pass
    assert refused.value.response.status_code == 403
    with pytest.raises(WebSocketClosed) as closed:  # no Origin: not a page of this server
        async with cookie_live_client(server.ws_url, cookie, origin_url=None):
            pass
    assert closed.value.code == 4403


async def test_a_person_acts_in_the_role_a_request_names_while_they_hold_it(
    signin: SignIn,
) -> None:
    server, providers = signin
    providers.university.person = {**STUDENT, "sub": "both-1", "groups": [COORDINATORS]}
    async with browser(server) as client:
        await sign_in(client)
        as_student = await ask(client, VIEWER, headers={"x-mentori-role": "student"})
        assert viewer_of(as_student)["role"] == "STUDENT"
        as_mentor = await ask(client, VIEWER, headers={"x-mentori-role": "MENTOR"})
        assert as_mentor.status_code == 403
        assert as_mentor.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        nonsense = await ask(client, VIEWER, headers={"x-mentori-role": "ADMIN"})
        assert nonsense.json()["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
        cookie = session_cookie(client)
    async with cookie_live_client(
        server.ws_url, cookie, origin_url=server.url, init={"role": "STUDENT"}
    ) as live:
        assert live.ack["viewer"]["role"] == "STUDENT"
    with pytest.raises(WebSocketClosed) as closed:
        async with cookie_live_client(
            server.ws_url, cookie, origin_url=server.url, init={"role": "MENTOR"}
        ):
            pass
    assert closed.value.code == 4403


async def test_a_bearer_token_acts_in_a_named_role_too(signin: SignIn) -> None:
    server, providers = signin
    token = providers.university.id_token(audience=CLIENT_ID, nonce="api", claims=COORDINATOR)
    async with browser(server) as client:

        async def acting(role: str) -> httpx.Response:
            headers = {"authorization": f"Bearer {token}", "x-mentori-role": role}
            return await client.post("/graphql", json={"query": VIEWER}, headers=headers)

        assert viewer_of(await acting("COORDINATOR"))["role"] == "COORDINATOR"
        refused = await acting("STUDENT")
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_session_past_its_hours_no_longer_signs_anyone_in(signin: SignIn) -> None:
    server, _ = signin
    async with browser(server) as client:
        await sign_in(client)
        cookie = session_cookie(client)
        assert viewer_of(await ask(client, VIEWER))["role"] == "COORDINATOR"
        server.clock.advance(hours=server.settings.session_hours, minutes=1)
        answer = await client.get(
            "/graphql", params={"query": VIEWER}, headers={"cookie": f"mentori_session={cookie}"}
        )
    error = answer.json()["errors"][0]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "your sign-in has ended" in error["message"]
    assert 'mentori_session=""' in answer.headers["set-cookie"]  # and the cookie goes
    with pytest.raises(WebSocketClosed) as closed:
        async with cookie_live_client(server.ws_url, cookie, origin_url=server.url):
            pass
    assert closed.value.code == 4403
