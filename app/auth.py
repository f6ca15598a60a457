"""Bearer tokens: verified JWTs from the identity provider (HS256 in development, RS256 with a
key or JWKS in production), and the users they stand for."""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from app.settings import Settings
from db.models import Role
from live.unit_of_work import UnitOfWork
from services import users
from services.errors import DomainError, ErrorCode
from services.roles import RoleSource
from services.text import MAX_EMAIL, has_control_characters
from services.viewer import Viewer


class InvalidToken(Exception):
    """The token is missing a claim, expired, forged, or for someone else."""


class ViewerCache:
    """Viewers of recently verified tokens, with every role they hold. A token stands for the
    same claims every time, and sign-in makes the user row agree with them, so within a short
    time a repeat request needs neither the signature check nor the user lookup (per request,
    they were a fifth of a search's server time). Bounded, and never past the token's expiry.
    Kept by the token's digest, not the token (a few hundred bytes less for each of thousands
    of live users). The role a request acts in is chosen after (services/viewer.py, acting_as).

    A person erased, or stripped of a role, is forgotten at once, told by the broker
    (live/hub.py); so an entry holds only under the broker connection it was made under, and
    none is made or used without one (a sign-out could be missed meanwhile)."""

    def __init__(self, *, size: int = 10_000, keep: timedelta = timedelta(minutes=1)) -> None:
        self.size = size
        self.keep = keep
        self._entries: OrderedDict[bytes, tuple[Viewer, datetime, datetime, int]] = OrderedDict()
        self.sign_outs = 0  # how many people were forgotten so far

    def get(
        self, token: str, now: datetime, *, broker_connection: int | None
    ) -> tuple[Viewer, datetime] | None:
        key = _digest(token)
        entry = self._entries.get(key)
        if entry is None:
            return None
        viewer, expires_at, stored_at, stored_under = entry
        if stored_under != broker_connection or not (
            stored_at <= now < min(expires_at, stored_at + self.keep)
        ):
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return viewer, expires_at

    def put(
        self,
        token: str,
        viewer: Viewer,
        expires_at: datetime,
        now: datetime,
        *,
        broker_connection: int | None,
    ) -> None:
        if broker_connection is None:
            return
        key = _digest(token)
        self._entries[key] = (viewer, expires_at, now, broker_connection)
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def forget(self, user_id: int) -> None:
        """The person was signed out (erased, or a role of theirs removed): none of their
        tokens is remembered."""
        self.sign_outs += 1
        for key in [k for k, entry in self._entries.items() if entry[0].user_id == user_id]:
            del self._entries[key]


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
    """The one Mentori role the `role` and `roles` claims name. Two are refused: which one a
    person has is the identity provider's to say, not the order of a list."""
    values: list[object] = []
    for key in ("role", "roles"):
        raw = claims.get(key)
        values += raw if isinstance(raw, list) else [raw]
    named = {v.upper() for v in values if isinstance(v, str) and v.upper() in Role.__members__}
    if len(named) > 1:
        raise InvalidToken("it names more than one Mentori role")
    return Role(named.pop()) if named else None


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


def _identity(claims: dict[str, Any]) -> users.Identity:
    """The person verified claims name, granting the one role the token names (refused if
    unusable). `email_verified` must be true itself, not merely present."""
    role = _role(claims)
    assert role is not None
    subject = _claim(claims, "sub", 255)
    if not subject.strip():
        raise InvalidToken("its 'sub' claim is empty")
    return users.Identity(
        subject=subject,
        name=_claim(claims, "name", 200) or subject[:200],
        email=_claim(claims, "email", MAX_EMAIL),
        email_verified=claims.get("email_verified") is True,
        roles=frozenset({role}),
        source=RoleSource.TOKEN,
        issued_at=_time(claims, "iat"),
    )


async def authenticate(
    verifier: TokenVerifier,
    uow: UnitOfWork,
    token: str,
    *,
    now: datetime,
) -> tuple[Viewer, datetime]:
    """The person a token signs in, holding every role they hold, acting in the token's role
    (while they hold it: a coordinator may have removed it) unless a request names another."""
    heard = (uow.hub.broker_connection, verifier.viewers.sign_outs)
    broker_connection = heard[0]
    cached = verifier.viewers.get(token, now, broker_connection=broker_connection)
    if cached is not None:
        return cached
    claims = await verifier.verify_async(token)
    identity = _identity(claims)
    try:
        viewer = await uow.run(lambda session: users.sign_in_as(session, identity, now=now))
    except DomainError as error:
        if error.code is not ErrorCode.UNAUTHENTICATED:
            raise
        if error.details.get("reason") == users.NO_ROLE:
            raise InvalidToken(
                "the person it names holds no role in Mentori: ask the programme's coordinators"
            ) from error
        raise InvalidToken("it was issued before its person's data was erased") from error
    [named] = identity.roles
    if named in viewer.roles:
        viewer = replace(viewer, role=named)
    expires_at = datetime.fromtimestamp(int(claims["exp"]), tz=now.tzinfo)
    # A sign-out heard while the person was looked up may be theirs: not remembered then.
    if (uow.hub.broker_connection, verifier.viewers.sign_outs) == heard:
        verifier.viewers.put(token, viewer, expires_at, now, broker_connection=broker_connection)
    return viewer, expires_at


def _time(claims: dict[str, Any], key: str) -> datetime | None:
    value = claims.get(key)
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):  # signed, but no time there is
        return None


def issue_dev_token(
    settings: Settings,
    *,
    subject: str,
    role: Role,
    name: str,
    email: str,
    now: datetime,
    lifetime: timedelta | None = None,
    email_verified: bool = False,
) -> str:
    """A development token signed with the local secret (never used in production). It vouches
    for the email address only when asked to (an invitation is accepted on a verified one)."""
    lifetime = lifetime or timedelta(hours=settings.dev_token_hours)
    claims: dict[str, Any] = {
        "sub": subject,
        "role": role.value,
        "name": name,
        "email": email,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
    }
    if email_verified:
        claims["email_verified"] = True
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")
