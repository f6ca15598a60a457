"""Bearer tokens: HS256 in development, RS256 with a PEM key or a JWKS in production; anything
expired, forged or meant for someone else is refused with a sentence; nothing is anonymous."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth import issue_dev_token
from app.settings import Settings
from db.models import Role
from tests import factories as f
from tests.clients import Api
from tests.clock import FakeClock
from tests.conftest import START, server_settings
from tests.servers import Server, running_server

ISSUER = "https://login.example.edu"
AUDIENCE = "mentori-production"
KID = "idp-2026"
VIEWER = "{ viewer { name email role } }"
PROGRAMMES = "{ programmes { id } }"

Token = Callable[..., str]


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


IDP_KEY = rsa_key()
FORGER_KEY = rsa_key()
PUBLIC_PEM = (
    IDP_KEY.public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)


def claims(**changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "sub": "federated-student-17",
        "role": "STUDENT",
        "name": "Aino Opiskelija",
        "email": "aino@example.edu",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=10)).timestamp()),
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


def rs256(key: rsa.RSAPrivateKey = IDP_KEY, *, kid: str | None = KID, **changes: Any) -> str:
    headers = {"kid": kid} if kid else None
    return jwt.encode(claims(**changes), key, algorithm="RS256", headers=headers)


def unsigned(**changes: Any) -> str:
    return jwt.encode(claims(**changes), "", algorithm="none", headers={"kid": KID})


def confused() -> str:
    """HS256 keyed with the public PEM, built by hand (PyJWT itself refuses to make one)."""

    def part(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    header = part(json.dumps({"alg": "HS256", "typ": "JWT", "kid": KID}).encode())
    payload = part(json.dumps(claims()).encode())
    signature = hmac.new(PUBLIC_PEM.encode(), header + b"." + payload, hashlib.sha256).digest()
    return (header + b"." + payload + b"." + part(signature)).decode()


def production(database_url: str, mail_dir: Path, **auth: Any) -> Settings:
    return server_settings(
        database_url,
        mail_dir,
        env="production",
        jwt_algorithms=["RS256"],
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        **auth,
    )


async def ask(server: Server, query: str, token: str | None) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        response = await client.post("/graphql", json={"query": query}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture(scope="module")
async def pem_server(
    database: tuple[str, AsyncEngine], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Server]:
    settings = production(database[0], tmp_path_factory.mktemp("mail"), jwt_public_key=PUBLIC_PEM)
    async with running_server(settings, FakeClock(START)) as server:
        yield server


async def serve_jwks(keys: dict[str, Any]) -> tuple[asyncio.Server, str]:
    """A tiny identity-provider key endpoint on loopback, in this event loop: the token check
    must not block the loop while it fetches (or this server could never answer)."""
    body = json.dumps(keys).encode()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}/.well-known/jwks.json"


@pytest.fixture(scope="module")
async def jwks_server(
    database: tuple[str, AsyncEngine], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Server]:
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(IDP_KEY.public_key(), as_dict=True)
    keys = {"keys": [{**jwk, "kid": KID, "use": "sig", "alg": "RS256"}]}
    idp, url = await serve_jwks(keys)
    settings = production(database[0], tmp_path_factory.mktemp("mail"), jwt_jwks_url=url)
    try:
        async with running_server(settings, FakeClock(START)) as server:
            yield server
    finally:
        idp.close()
        await idp.wait_closed()


async def test_a_development_token_signs_a_person_in(api: Api) -> None:
    coordinator = api.person(Role.COORDINATOR, "Kaisa Koordinaattori")
    viewer = (await api.ok(VIEWER, as_=coordinator))["viewer"]
    assert viewer == {
        "name": "Kaisa Koordinaattori",
        "email": coordinator.email,
        "role": "COORDINATOR",
    }


@pytest.mark.parametrize("mode", ["pem", "jwks"])
async def test_an_identity_provider_token_signs_a_person_in(
    api: Api, pem_server: Server, jwks_server: Server, mode: str
) -> None:
    server = pem_server if mode == "pem" else jwks_server
    body = await ask(server, VIEWER, rs256())
    assert body == {
        "data": {
            "viewer": {"name": "Aino Opiskelija", "email": "aino@example.edu", "role": "STUDENT"}
        }
    }


WRONG_ALGORITHM = "it is signed with an algorithm this server does not accept"
REFUSED = [
    (
        "expired",
        lambda: rs256(exp=int((datetime.now(UTC) - timedelta(hours=1)).timestamp())),
        "it has expired",
    ),
    (
        "forged",
        lambda: rs256(FORGER_KEY),
        "its signature does not match the identity provider's key",
    ),
    (
        "wrong issuer",
        lambda: rs256(iss="https://evil.example.com"),
        f"it was not issued by {ISSUER}",
    ),
    ("wrong audience", lambda: rs256(aud="another-service"), f"it is not meant for {AUDIENCE}"),
    ("alg none", lambda: unsigned(), WRONG_ALGORITHM),
    ("no expiry", lambda: rs256(exp=None), "it has no 'exp' claim"),
    ("no role", lambda: rs256(role="ADMIN"), "it names no Mentori role"),
    # Which of two roles a person has is the identity provider's to say, not the list's order.
    (
        "two roles",
        lambda: rs256(role=None, roles=["STUDENT", "COORDINATOR"]),
        "it names more than one Mentori role",
    ),
    (
        "a role and another in roles",
        lambda: rs256(role="STUDENT", roles=["staff", "coordinator"]),
        "it names more than one Mentori role",
    ),
    ("empty subject", lambda: rs256(sub=""), "its 'sub' claim is empty"),
    ("not a token", lambda: "not-a-jwt", "it is not a well-formed token"),
    # Claims that would break every email to the person, or not fit where they are kept.
    (
        "line break in the name",
        lambda: rs256(name="Aino\nBcc: everyone@example.edu"),
        "its 'name' claim contains a line break or another control character",
    ),
    (
        "NUL in the email",
        lambda: rs256(email="aino\x00@example.edu"),
        "its 'email' claim contains a line break or another control character",
    ),
    (
        "control character in the subject",
        lambda: rs256(sub="student\r17"),
        "its 'sub' claim contains a line break or another control character",
    ),
    (
        "name too long",
        lambda: rs256(name="A" * 201),
        "its 'name' claim is longer than 200 characters",
    ),
    (
        "email too long",
        lambda: rs256(email="a" * 309 + "@example.edu"),
        "its 'email' claim is longer than 320 characters",
    ),
    # The public key used as an HMAC secret: the classic algorithm-confusion forgery.
    ("HS256 with the public key", lambda: confused(), WRONG_ALGORITHM),
]


@pytest.mark.parametrize("mode", ["pem", "jwks"])
@pytest.mark.parametrize(("case", "make", "reason"), REFUSED, ids=[c[0] for c in REFUSED])
async def test_a_bad_token_is_refused_with_a_clear_sentence(
    api: Api,
    pem_server: Server,
    jwks_server: Server,
    mode: str,
    case: str,
    make: Callable[[], str],
    reason: str,
) -> None:
    server = pem_server if mode == "pem" else jwks_server
    for query in (VIEWER, PROGRAMMES):
        body = await ask(server, query, make())
        assert body["data"] in (None, {"viewer": None})
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "UNAUTHENTICATED"
        assert error["message"] == f"Your sign-in token was refused ({reason}); sign in again."


async def test_spaces_around_a_name_or_email_claim_are_dropped(
    api: Api, pem_server: Server
) -> None:
    token = rs256(name=" Aino Opiskelija\n", email="aino@example.edu ")
    body = await ask(pem_server, VIEWER, token)
    assert body["data"]["viewer"] == {
        "name": "Aino Opiskelija",
        "email": "aino@example.edu",
        "role": "STUDENT",
    }


async def test_a_roles_list_naming_one_mentori_role_signs_the_person_in(
    api: Api, pem_server: Server
) -> None:
    token = rs256(role=None, roles=["staff", "student", "STUDENT"])
    body = await ask(pem_server, VIEWER, token)
    assert body["data"]["viewer"]["role"] == "STUDENT"


async def test_a_development_token_is_worthless_in_production(api: Api, pem_server: Server) -> None:
    token = issue_dev_token(
        api.server.settings,
        subject="sneaky",
        role=Role.COORDINATOR,
        name="Sneaky",
        email="sneaky@example.com",
        now=datetime.now(UTC),
    )
    error = (await ask(pem_server, PROGRAMMES, token))["errors"][0]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_development_token_signed_with_another_secret_is_refused(api: Api) -> None:
    settings = api.server.settings.model_copy(update={"jwt_secret": "x" * 48})
    token = issue_dev_token(
        settings,
        subject="forger",
        role=Role.COORDINATOR,
        name="Forger",
        email="forger@example.com",
        now=datetime.now(UTC),
    )
    error = (await ask(api.server, PROGRAMMES, token))["errors"][0]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "signature" in error["message"]


def test_production_refuses_to_start_with_the_development_secret() -> None:
    with pytest.raises(ValidationError, match="ENV=production with the development JWT secret"):
        Settings(env="production")  # type: ignore[arg-type]


NODE = "query($id: ID!) { node(id: $id) { id } }"
PRIVATE_READS: dict[str, tuple[str, str | None]] = {
    "mentors": ("{ mentors { totalCount } }", None),
    "mentor": ("query($id: ID!) { mentor(id: $id) { id } }", "mentor"),
    "mentor node": (NODE, "mentor"),
    "student node": (NODE, "student"),
    "request node": (NODE, "request"),
    "myMentorProfile": ("{ myMentorProfile { id } }", None),
    "myStudentProfile": ("{ myStudentProfile { id } }", None),
    "myRequests": ("{ myRequests { id } }", None),
    "myMatches": ("{ myMatches { id } }", None),
    "requests": ("{ requests { totalCount } }", None),
    "matches": ("{ matches { totalCount } }", None),
    "programme": ("{ programme { id } }", None),
    "fields": ("{ fields { id } }", None),
}


@pytest.mark.parametrize("header", [None, "Basic bWVudG9yOnB3", "Bearer"])
async def test_nobody_reads_any_profile_without_a_valid_token(api: Api, header: str | None) -> None:
    await f.programme(api)
    _, mentor_id = await f.mentor(api)
    student = await f.student(api)
    request_id = await f.send(api, student, mentor_id)
    mine = await api.ok("{ myStudentProfile { id } }", as_=student)
    ids = {"mentor": mentor_id, "student": mine["myStudentProfile"]["id"], "request": request_id}
    for name, (query, wanted) in PRIVATE_READS.items():
        response = await api.client.post(
            "/graphql",
            json={"query": query, "variables": {"id": ids[wanted]} if wanted else {}},
            headers={"authorization": header} if header else {},
        )
        body = response.json()
        assert not any((body["data"] or {}).values()), name
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", name
        if header is None:
            assert body["errors"][0]["message"] == "Sign in first: this needs a valid bearer token."
        else:  # a header that is not a bearer token is a mistake worth naming
            assert "must read 'Bearer <token>'" in body["errors"][0]["message"]
    assert (await api.ok("{ viewer { id } }"))["viewer"] is None


async def test_a_token_naming_a_key_the_identity_provider_does_not_publish_is_refused(
    api: Api, jwks_server: Server
) -> None:
    error = (await ask(jwks_server, PROGRAMMES, rs256(kid="retired-2019")))["errors"][0]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert error["message"] == (
        "Your sign-in token was refused (no key of the identity provider matches it); "
        "sign in again."
    )


async def test_a_persons_first_requests_at_once_make_one_user(api: Api) -> None:
    newcomer = api.person(Role.STUDENT, "Nora Newcomer")
    # Different tokens for the same person, so no cache can answer: each signs in afresh.
    tokens = [
        issue_dev_token(
            api.server.settings,
            subject=newcomer.subject,
            role=Role.STUDENT,
            name=newcomer.name,
            email=newcomer.email,
            now=datetime.now(UTC) - timedelta(seconds=n),
        )
        for n in range(8)
    ]
    responses = await asyncio.gather(
        *(api.raw("{ viewer { id name } }", token=token) for token in tokens)
    )
    viewers = [r.json()["data"]["viewer"] for r in responses]
    assert all(v == viewers[0] for v in viewers), viewers
    assert viewers[0]["name"] == "Nora Newcomer"
