"""What every answer tells the browser: the pages load and connect only to their own server and
are never framed; nothing is sniffed as another type; no address leaks to another site."""

from __future__ import annotations

import pytest

from tests.clients import Api

PAGES = ["/dashboard", "/mentor", "/browse"]


def directives(policy: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for part in policy.split(";"):
        name, *values = part.split()
        found[name] = values
    return found


@pytest.mark.parametrize("path", PAGES)
async def test_the_pages_load_and_connect_only_to_their_own_server(api: Api, path: str) -> None:
    response = await api.client.get(path)
    assert response.status_code == 200
    policy = directives(response.headers["content-security-policy"])
    host = api.server.url.removeprefix("http://")
    assert policy["default-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'", f"ws://{host}", f"wss://{host}"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] in ("same-origin", "no-referrer")


async def test_a_page_names_no_websocket_origin_from_a_forged_host(api: Api) -> None:
    response = await api.client.get("/browse", headers={"host": "evil.example; script-src *"})
    policy = directives(response.headers["content-security-policy"])
    assert policy["connect-src"] == ["'self'"]
    assert "script-src" not in policy


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/graphql"),
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/metrics"),
        ("GET", "/auth/config"),
        ("GET", "/static/mentori.css"),
        ("GET", "/static/session.js"),
        ("GET", "/no-such-page"),
    ],
)
async def test_every_answer_is_never_framed_or_sniffed(api: Api, method: str, path: str) -> None:
    response = await api.client.request(method, path, json={"query": "{ __typename }"})
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] in ("same-origin", "no-referrer")
    policy = directives(response.headers["content-security-policy"])
    assert policy["frame-ancestors"] == ["'none'"]


async def test_graphiql_in_development_still_loads_from_its_cdn(api: Api) -> None:
    response = await api.client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()
    policy = directives(response.headers["content-security-policy"])
    assert "default-src" not in policy
    assert "script-src" not in policy
    assert policy["frame-ancestors"] == ["'none'"]


async def test_the_pages_hold_no_inline_script_or_style(api: Api) -> None:
    for path in PAGES:
        page = (await api.client.get(path)).text
        assert "<style" not in page
        assert "style=" not in page
        for tag in page.split("<script")[1:]:
            assert 'src="' in tag.split(">")[0], f"{path}: an inline script"
