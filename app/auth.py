"""Bearer tokens: verified JWTs from the identity provider (HS256 in development, RS256 with a
key or JWKS in production), and the users they stand for."""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any

import jwt

from app.settings import Settings
from app.unit_of_work import UnitOfWork
from db.models import Role
from services import users
from services.text import MAX_EMAIL, has_control_characters
from services.viewer import Viewer


class InvalidToken(Exception):
    """The token is missing a claim, expired, forged, or for someone else."""


class ViewerCache:
    """Viewers of recently verified tokens. A token stands for the same claims every time, and
    sign-in makes the user row agree with them, so within a short time a repeat request needs
    neither the signature check nor the user lookup (per request, they were a fifth of a
    search's server time). Bounded, and never past the token's expiry. Kept by the token's
    digest, not the token (a few hundred bytes less for each of thousands of live users)."""

    def __init__(self, *, size: int = 10_000, keep: timedelta = timedelta(minutes=1)) -> None:
        self.size = size
        self.keep = keep
        self._entries: OrderedDict[bytes, tuple[Viewer, datetime, datetime]] = OrderedDict()

    def get(self, token: str, now: datetime) -> tuple[Viewer, datetime] | None:
        key = _digest(token)
        entry = self._entries.get(key)
        if entry is None:
            return None
        viewer, expires_at, stored_at = entry
        if not stored_at <= now < min(expires_at, stored_at + self.keep):
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return viewer, expires_at

    def put(self, token: str, viewer: Viewer, expires_at: datetime, now: datetime) -> None:
        key = _digest(token)
        self._entries[key] = (viewer, expires_at, now)
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)


def _digest(token: str) -> bytes:
    return hashlib.blake2b(token.encode(), digest_size=20).digest()


class TokenVerifier:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._jwks = jwt.PyJWKClient(settings.jwt_jwks_url) if settings.jwt_jwks_url else None
        self.viewers = ViewerCache()

    def _key(self, token: str) -> Any:
        if self._jwks is not None:
            return self._jwks.get_signing_key_from_jwt(token).key
        if self.settings.jwt_public_key:
            return self.settings.jwt_public_key
        return self.settings.jwt_secret

    def verify(self, token: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key(token),
                algorithms=self.settings.jwt_algorithms,
                audience=self.settings.jwt_audience,
                issuer=self.settings.jwt_issuer,
                options={"require": ["exp", "sub", "iss", "aud"]},
                leeway=30,
            )
        except (jwt.PyJWTError, ValueError) as error:
            raise InvalidToken(self._why(error)) from error
        if _role(claims) is None:
            raise InvalidToken("it names no Mentori role")
        return claims

    def _why(self, error: Exception) -> str:
        """Why a token was refused, in words a person signing in can act on."""
        match error:
            case jwt.ExpiredSignatureError():
                return "it has expired"
            case jwt.InvalidSignatureError():
                return "its signature does not match the identity provider's key"
            case jwt.InvalidIssuerError():
                return f"it was not issued by {self.settings.jwt_issuer}"
            case jwt.InvalidAudienceError():
                return f"it is not meant for {self.settings.jwt_audience}"
            case jwt.InvalidAlgorithmError():
                return "it is signed with an algorithm this server does not accept"
            case jwt.MissingRequiredClaimError():
                return f"it has no {error.claim!r} claim"
            case jwt.ImmatureSignatureError():
                return "it is not valid yet"
            case jwt.PyJWKClientConnectionError():
                return "the identity provider's keys could not be fetched"
            case jwt.PyJWKClientError():
                return "no key of the identity provider matches it"
            case _:
                return "it is not a well-formed token"

    async def verify_async(self, token: str) -> dict[str, Any]:
        # PyJWKClient fetches the key set with blocking urllib: keep that off the event loop.
        if self._jwks is not None:
            return await asyncio.to_thread(self.verify, token)
        return self.verify(token)


def _role(claims: dict[str, Any]) -> Role | None:
    raw = claims.get("role") or claims.get("roles")
    values = raw if isinstance(raw, list) else [raw]
    for value in values:
        if isinstance(value, str) and value.upper() in Role.__members__:
            return Role(value.upper())
    return None


def bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _claim(claims: dict[str, Any], key: str, max_length: int) -> str:
    """A claim as stored. One that does not fit is refused, not rewritten: the identity
    provider signed it, a line break in it would break every email to that person, and a
    guessed fix could name (or mail) someone else. The provider's data is what to fix."""
    value = str(claims.get(key) or "")
    if key != "sub":  # the subject is an identity, compared exactly; elsewhere spaces are noise
        value = value.strip()
    if has_control_characters(value):
        raise InvalidToken(f"its {key!r} claim contains a line break or another control character")
    if len(value) > max_length:
        raise InvalidToken(f"its {key!r} claim is longer than {max_length} characters")
    return value


def _identity(claims: dict[str, Any]) -> tuple[str, Role, str, str]:
    """Subject, role, name and email from verified claims (refused if unusable)."""
    role = _role(claims)
    assert role is not None
    subject = _claim(claims, "sub", 255)
    name = _claim(claims, "name", 200) or subject[:200]
    email = _claim(claims, "email", MAX_EMAIL)
    return subject, role, name, email


async def authenticate(
    verifier: TokenVerifier,
    uow: UnitOfWork,
    token: str,
    *,
    now: datetime,
) -> tuple[Viewer, datetime]:
    cached = verifier.viewers.get(token, now)
    if cached is not None:
        return cached
    claims = await verifier.verify_async(token)
    subject, role, name, email = _identity(claims)
    viewer = await uow.run(
        lambda session: users.sign_in(
            session, subject=subject, role=role, name=name, email=email, now=now
        )
    )
    expires_at = datetime.fromtimestamp(int(claims["exp"]), tz=now.tzinfo)
    verifier.viewers.put(token, viewer, expires_at, now)
    return viewer, expires_at


def issue_dev_token(
    settings: Settings,
    *,
    subject: str,
    role: Role,
    name: str,
    email: str,
    now: datetime,
    lifetime: timedelta | None = None,
) -> str:
    """A development token signed with the local secret (never used in production)."""
    lifetime = lifetime or timedelta(hours=settings.dev_token_hours)
    claims = {
        "sub": subject,
        "role": role.value,
        "name": name,
        "email": email,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")
