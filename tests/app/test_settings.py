"""What production refuses to start with."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.settings import Settings


@pytest.mark.parametrize("secret", ["short", "s" * 31, "ä" * 15])
def test_production_refuses_a_jwt_secret_under_32_bytes(secret: str) -> None:
    with pytest.raises(ValidationError, match="JWT_SECRET of at least 32 bytes"):
        Settings(env="production", jwt_secret=secret)  # type: ignore[arg-type]


def test_production_takes_a_jwt_secret_of_32_bytes() -> None:
    assert Settings(env="production", jwt_secret="ä" * 16).production  # type: ignore[arg-type]


def test_a_short_secret_does_not_matter_when_production_takes_no_hs256_tokens() -> None:
    settings = Settings(
        env="production",  # type: ignore[arg-type]
        jwt_secret="short",
        jwt_algorithms=["RS256"],
        jwt_public_key="-----BEGIN PUBLIC KEY-----",
    )
    assert settings.production


def test_development_keeps_any_secret() -> None:
    assert not Settings(jwt_secret="short").production
