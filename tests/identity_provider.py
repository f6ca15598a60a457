"""A fake OpenID Connect identity provider on loopback, and a production Mentori server that signs
people in through it: the authorize endpoint answers at once (as if the person had logged in) by
sending the browser back with an RS256 ID token in the fragment; /jwks serves its public key."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.conftest import START, server_settings
from tests.support import FakeClock, Server, free_port, running_server

ISSUER = "https://login.example.edu"
CLIENT_ID = "mentori-at-example-edu"
KID = "idp-signin-2026"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class IdentityProvider:
    url: str
    # Who "logs in" at the next authorize request: the claims of the token it returns.
    person: dict[str, Any] = field(
        default_factory=lambda: {
            "sub": "federated-coordinator-1",
            "role": "COORDINATOR",
            "name": "Kaisa Koordinaattori",
            "email": "kaisa@example.edu",
        }
    )
    authorize_requests: list[dict[str, str]] = field(default_factory=list)

    @property
    def authorize_url(self) -> str:
        return f"{self.url}/authorize"

    @property
    def jwks_url(self) -> str:
        return f"{self.url}/jwks"

    def id_token(self, *, audience: str, nonce: str) -> str:
        now = datetime.now(UTC)  # PyJWT checks expiry against real time, not the server's clock
        claims = {
            **self.person,
            "iss": ISSUER,
            "aud": audience,
            "nonce": nonce,
            "iat": int(now.timestamp()),
            "exp": int((now + timedelta(minutes=10)).timestamp()),
        }
        return jwt.encode(claims, KEY, algorithm="RS256", headers={"kid": KID})

    def app(self) -> Starlette:
        async def authorize(request: Request) -> Response:
            asked = dict(request.query_params)
            self.authorize_requests.append(asked)
            if asked.get("client_id") != CLIENT_ID or asked.get("response_type") != "id_token":
                answer = {"error": "unauthorized_client", "state": asked.get("state", "")}
            else:
                token = self.id_token(audience=CLIENT_ID, nonce=asked.get("nonce", ""))
                answer = {"id_token": token, "state": asked.get("state", "")}
            return RedirectResponse(f"{asked['redirect_uri']}#{urlencode(answer)}", 302)

        async def jwks(request: Request) -> Response:
            jwk = jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key(), as_dict=True)
            return JSONResponse({"keys": [{**jwk, "kid": KID, "use": "sig", "alg": "RS256"}]})

        return Starlette(routes=[Route("/authorize", authorize), Route("/jwks", jwks)])


@asynccontextmanager
async def identity_provider() -> AsyncIterator[IdentityProvider]:
    """The fake provider, served by uvicorn on loopback in this event loop."""
    port = free_port()
    provider = IdentityProvider(url=f"http://127.0.0.1:{port}")
    config = uvicorn.Config(
        provider.app(), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield provider
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def mentori_with_sign_in(
    database_url: str, mail_dir: Path
) -> AsyncIterator[tuple[Server, IdentityProvider]]:
    """A production Mentori server whose pages sign people in through the fake provider."""
    async with identity_provider() as provider:
        port = free_port()
        settings = server_settings(
            database_url,
            mail_dir,
            env="production",
            public_url=f"http://127.0.0.1:{port}",
            jwt_secret="a-production-secret-that-is-not-the-development-one-4242",
            jwt_algorithms=["RS256"],
            jwt_jwks_url=provider.jwks_url,
            jwt_issuer=ISSUER,
            jwt_audience=CLIENT_ID,
            oidc_authorize_url=provider.authorize_url,
            oidc_client_id=CLIENT_ID,
        )
        async with running_server(settings, FakeClock(START), port=port) as server:
            yield server, provider
