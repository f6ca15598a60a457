"""Fake OpenID Connect identity providers on loopback, and a production Mentori server that signs
people in through them with the authorization code flow and PKCE.

Each provider serves its discovery document, /authorize (which answers at once, as if the person
had logged in, by sending the browser back with a code), /token (which checks the code, the
client, the redirect URI and the PKCE verifier, then issues an RS256 ID token), /jwks and
/end_session. A test may misconfigure one (tokens with another issuer, audience or nonce), and
two run at once: the university's, whose claims carry affiliations and groups, and the alumni
association's, whose every member may become a mentor."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from websockets.datastructures import Headers

from app.settings import IdentityProvider as ProviderSettings
from app.settings import RoleRule, Settings
from db.models import Role
from tests import factories as f
from tests.clients import Api, LiveClient, Person, live_client
from tests.clock import FakeClock
from tests.conftest import START, server_settings
from tests.databases import wipe
from tests.servers import Server, free_port, on_loopback, running_server

ISSUER = "https://login.example.edu"  # the university's: it issues the API's bearer tokens too
ALUMNI_ISSUER = "https://alumni.example.org"
CLIENT_ID = "mentori-at-example-edu"
CLIENT_SECRET = "the-university-knows-mentori-by-this-secret"
ALUMNI_CLIENT_ID = "mentori-alumni"  # a public client: PKCE alone
COORDINATORS = "mentori-coordinators"  # the university's group of the programme's staff
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
SESSION_SECRET = "a-production-session-secret-that-is-not-the-development-one"

COORDINATOR = {
    "sub": "federated-coordinator-1",
    "role": "COORDINATOR",  # for its ID token used as a bearer token (the API's clients)
    "name": "Kaisa Koordinaattori",
    "email": "kaisa@example.edu",
    "email_verified": True,
    "affiliation": ["staff", "member"],
    "groups": [COORDINATORS],
}
STUDENT = {
    "sub": "federated-student-7",
    "name": "Sanna Opiskelija",
    "email": "sanna@example.edu",
    "email_verified": True,
    "affiliation": ["student", "member"],
    "groups": [],
}
ALUMNA = {
    "sub": "alumna-1970",
    "name": "Aino Alumna",
    "email": "aino@alumni.example.org",
    "email_verified": True,
}


@dataclass
class Grant:
    """A code the provider issued, and what its redemption must match."""

    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str
    claims: dict[str, Any]
    used: bool = False


@dataclass
class FakeProvider:
    url: str
    issuer: str
    client_id: str
    client_secret: str | None = None
    kid: str = "idp-signin-2026"
    # Who "logs in" at the next authorize request: the claims of the ID token it leads to.
    person: dict[str, Any] = field(default_factory=lambda: dict(COORDINATOR))
    redirect_uris: list[str] = field(default_factory=list)
    # Misconfigurations a test may set: what the ID tokens say instead of the right value.
    token_issuer: str | None = None
    token_audience: str | None = None
    token_nonce: str | None = None
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)  # why /token refused, in order
    issued: list[str] = field(default_factory=list)  # the ID tokens /token gave out
    end_session_requests: list[dict[str, str]] = field(default_factory=list)
    grants: dict[str, Grant] = field(default_factory=dict)

    @property
    def metadata_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    @property
    def authorize_url(self) -> str:
        return f"{self.url}/authorize"

    @property
    def jwks_url(self) -> str:
        return f"{self.url}/jwks"

    def reset(self, person: dict[str, Any]) -> None:
        """As configured, with `person` logging in next."""
        self.person = dict(person)
        self.token_issuer = self.token_audience = self.token_nonce = None
        self.authorize_requests.clear()
        self.token_requests.clear()
        self.refusals.clear()
        self.issued.clear()
        self.end_session_requests.clear()

    def id_token(self, *, audience: str, nonce: str, claims: dict[str, Any] | None = None) -> str:
        now = datetime.now(UTC)  # verified against real time, not the server's clock
        body = {
            **(claims if claims is not None else self.person),
            "iss": self.token_issuer or self.issuer,
            "aud": self.token_audience or audience,
            "nonce": self.token_nonce or nonce,
            "iat": int(now.timestamp()),
            "exp": int((now + timedelta(minutes=10)).timestamp()),
        }
        return jwt.encode(body, KEY, algorithm="RS256", headers={"kid": self.kid})

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self._discovery),
                Route("/authorize", self._authorize),
                Route("/token", self._token, methods=["POST"]),
                Route("/jwks", self._jwks),
                Route("/end_session", self._end_session),
            ]
        )

    async def _discovery(self, request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": self.issuer,
                "authorization_endpoint": self.authorize_url,
                "token_endpoint": f"{self.url}/token",
                "jwks_uri": self.jwks_url,
                "end_session_endpoint": f"{self.url}/end_session",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                    "none",
                ],
            }
        )

    async def _authorize(self, request: Request) -> Response:
        asked = dict(request.query_params)
        self.authorize_requests.append(asked)
        redirect_uri = asked.get("redirect_uri", "")
        if asked.get("client_id") != self.client_id or redirect_uri not in self.redirect_uris:
            # Never sent anywhere unregistered: the person sees the provider's own page.
            return PlainTextResponse("unknown client or redirect URI", status_code=400)
        problem = None
        if asked.get("response_type") != "code":
            problem = "unsupported_response_type"
        elif "openid" not in asked.get("scope", "").split():
            problem = "invalid_scope"
        elif asked.get("code_challenge_method") != "S256" or not asked.get("code_challenge"):
            problem = "invalid_request"  # PKCE with S256 is required here
        if problem is not None:
            answer = {"error": problem, "state": asked.get("state", "")}
            return RedirectResponse(f"{redirect_uri}?{urlencode(answer)}", 302)
        code = secrets.token_urlsafe(24)
        self.grants[code] = Grant(
            client_id=self.client_id,
            redirect_uri=redirect_uri,
            challenge=asked["code_challenge"],
            nonce=asked.get("nonce", ""),
            claims=dict(self.person),
        )
        answer = {"code": code, "state": asked.get("state", "")}
        return RedirectResponse(f"{redirect_uri}?{urlencode(answer)}", 302)

    async def _token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        self.token_requests.append(form)
        client_id, secret = _client_of(request, form)
        if client_id != self.client_id or (
            self.client_secret is not None and secret != self.client_secret
        ):
            return self._refuse("invalid_client", "the client did not authenticate", 401)
        grant = self.grants.get(form.get("code", ""))
        if form.get("grant_type") != "authorization_code" or grant is None:
            return self._refuse("invalid_grant", "no such code")
        if grant.used:
            return self._refuse("invalid_grant", "the code was used already")
        grant.used = True
        if form.get("redirect_uri") != grant.redirect_uri:
            return self._refuse("invalid_grant", "the redirect_uri differs")
        if _challenge(form.get("code_verifier", "")) != grant.challenge:
            return self._refuse("invalid_grant", "the code_verifier does not match")
        id_token = self.id_token(audience=self.client_id, nonce=grant.nonce, claims=grant.claims)
        self.issued.append(id_token)
        return JSONResponse(
            {
                "access_token": secrets.token_urlsafe(24),
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": id_token,
            },
            headers={"cache-control": "no-store"},
        )

    def _refuse(self, error: str, why: str, status: int = 400) -> Response:
        self.refusals.append(why)
        return JSONResponse({"error": error, "error_description": why}, status_code=status)

    async def _jwks(self, request: Request) -> Response:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key(), as_dict=True)
        return JSONResponse({"keys": [{**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}]})

    async def _end_session(self, request: Request) -> Response:
        self.end_session_requests.append(dict(request.query_params))
        return PlainTextResponse("You are signed out of the identity provider.")


def _client_of(request: Request, form: dict[str, str]) -> tuple[str, str | None]:
    """The client a token request names: HTTP Basic (client_secret_basic), or the form."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        user, _, password = base64.b64decode(encoded).decode().partition(":")
        return user, password
    return form.get("client_id", ""), form.get("client_secret")


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@asynccontextmanager
async def fake_provider(
    issuer: str, client_id: str, client_secret: str | None = None
) -> AsyncIterator[FakeProvider]:
    """A fake provider, served by uvicorn on loopback in this event loop."""
    port = free_port()
    provider = FakeProvider(
        url=f"http://127.0.0.1:{port}",
        issuer=issuer,
        client_id=client_id,
        client_secret=client_secret,
    )
    async with on_loopback(provider.app(), port, lifespan="off"):
        yield provider


@dataclass
class Providers:
    university: FakeProvider
    alumni: FakeProvider

    def settings(self) -> list[ProviderSettings]:
        """How Mentori is configured for them (OIDC_PROVIDERS)."""
        return [
            ProviderSettings(
                key="university",
                label="University account",
                metadata_url=self.university.metadata_url,
                client_id=CLIENT_ID,
                client_secret=CLIENT_SECRET,
                roles=[
                    RoleRule(claim="affiliation", value="student", role=Role.STUDENT),
                    RoleRule(claim="groups", value=COORDINATORS, role=Role.COORDINATOR),
                ],
            ),
            ProviderSettings(
                key="alumni",
                label="Alumni account",
                metadata_url=self.alumni.metadata_url,
                client_id=ALUMNI_CLIENT_ID,
                alumni=True,
            ),
        ]

    def expect(self, public_url: str) -> None:
        """Register Mentori's callback at both, as its administrators would."""
        self.university.redirect_uris = [f"{public_url}/auth/callback/university"]
        self.alumni.redirect_uris = [f"{public_url}/auth/callback/alumni"]

    def reset(self) -> None:
        self.university.reset(COORDINATOR)
        self.alumni.reset(ALUMNA)


@asynccontextmanager
async def identity_providers() -> AsyncIterator[Providers]:
    """The university's provider and the alumni association's, on loopback."""
    async with (
        fake_provider(ISSUER, CLIENT_ID, CLIENT_SECRET) as university,
        fake_provider(ALUMNI_ISSUER, ALUMNI_CLIENT_ID) as alumni,
    ):
        providers = Providers(university, alumni)
        providers.reset()
        yield providers


def production_settings(
    database_url: str, mail_dir: Path, providers: Providers, public_url: str, **overrides: Any
) -> Settings:
    """A production Mentori's settings: RS256 bearer tokens from the university's keys, and
    sign-in on the pages through both providers."""
    return server_settings(
        database_url,
        mail_dir,
        env="production",
        public_url=public_url,
        jwt_secret="a-production-secret-that-is-not-the-development-one-4242",
        jwt_algorithms=["RS256"],
        jwt_jwks_url=providers.university.jwks_url,
        jwt_issuer=ISSUER,
        jwt_audience=CLIENT_ID,
        session_secret=SESSION_SECRET,
        oidc_providers=providers.settings(),
        **overrides,
    )


@asynccontextmanager
async def mentori_with_providers(
    database_url: str, mail_dir: Path, **overrides: Any
) -> AsyncIterator[tuple[Server, Providers]]:
    """A production Mentori server whose pages sign people in through both fake providers."""
    async with identity_providers() as providers:
        port = free_port()
        public_url = f"http://127.0.0.1:{port}"
        providers.expect(public_url)
        settings = production_settings(database_url, mail_dir, providers, public_url, **overrides)
        async with running_server(settings, FakeClock(START), port=port) as server:
            yield server, providers


@asynccontextmanager
async def mentori_with_sign_in(
    database_url: str, mail_dir: Path
) -> AsyncIterator[tuple[Server, FakeProvider]]:
    """`mentori_with_providers`, with the university's provider alone in view."""
    async with mentori_with_providers(database_url, mail_dir) as (server, providers):
        yield server, providers.university


@asynccontextmanager
async def mentori_with_a_coordinator(
    database: tuple[str, AsyncEngine], mail_dir: Path
) -> AsyncIterator[tuple[Server, FakeProvider]]:
    """`mentori_with_sign_in` on an empty database, where the coordinator the provider will sign
    in has a programme, made through the API."""
    url, engine = database
    await wipe(engine)
    async with (
        mentori_with_sign_in(url, mail_dir) as (server, provider),
        httpx.AsyncClient(base_url=server.url, timeout=30) as client,
    ):
        claims = provider.person
        token = provider.id_token(audience=CLIENT_ID, nonce="api")
        coordinator = Person(
            Role.COORDINATOR, claims["sub"], claims["name"], claims["email"], token
        )
        await f.programme(Api(server=server, client=client), coordinator)
        yield server, provider


# Stepping through a sign-in as a browser would, one redirect at a time.


async def start_sign_in(
    client: httpx.AsyncClient, key: str = "university", next_page: str = "/dashboard"
) -> httpx.Response:
    """/auth/login/<key>: the answer that sends the browser to the provider."""
    response = await client.get(f"/auth/login/{key}", params={"next": next_page})
    assert response.status_code == 302, response.text
    return response


async def at_provider(client: httpx.AsyncClient, login: httpx.Response) -> str:
    """The provider's answer to the authorize request: the callback URL it sends back to."""
    answer = await client.get(login.headers["location"])
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


async def sign_in(
    client: httpx.AsyncClient,
    key: str = "university",
    next_page: str = "/dashboard",
    *,
    via: str | None = None,
) -> httpx.Response:
    """The whole round trip; the callback's answer (the client keeps the session cookie). The
    provider's answer comes back `via` another address of the server (a load balancer's
    backend), if given."""
    callback = await at_provider(client, await start_sign_in(client, key, next_page))
    if via is not None:
        parts = urlsplit(callback)
        callback = f"{via}{parts.path}?{parts.query}"
    return await client.get(callback)


def session_cookie(client: httpx.AsyncClient) -> str:
    value = client.cookies.get("mentori_session")
    assert value, "no session cookie"
    return value


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


async def ask(
    client: httpx.AsyncClient,
    query: str,
    *,
    base: str | None = None,
    origin_of: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """A GraphQL POST as the pages send it: JSON, with the cookie the client holds and the
    Origin of `origin_of` (the client's own server by default)."""
    url = f"{base}/graphql" if base else "/graphql"
    sent = {"content-type": "application/json", "origin": origin(origin_of or str(client.base_url))}
    sent.update(headers or {})
    return await client.post(url, content=json.dumps({"query": query}), headers=sent)


@asynccontextmanager
async def cookie_live_client(
    ws_url: str,
    cookie: str | None,
    *,
    origin_url: str | None,
    init: dict[str, Any] | None = None,
    same_origin: bool = False,
) -> AsyncIterator[LiveClient]:
    """A graphql-transport-ws client signed in by the session cookie on the handshake, from a
    page of `origin_url` (none: no Origin, as a non-browser client); WebSocketClosed if
    refused after the handshake. `same_origin`: the browser says the page is the server's own
    (Sec-Fetch-Site), as it does behind a load balancer whose address the page has."""
    headers = Headers()
    if cookie is not None:
        headers["cookie"] = f"mentori_session={cookie}"
    if same_origin:
        headers["sec-fetch-site"] = "same-origin"
    async with live_client(
        ws_url,
        None,
        init=init or {},
        origin=origin(origin_url) if origin_url else None,
        headers=headers,
    ) as client:
        yield client
