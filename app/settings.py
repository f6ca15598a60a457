"""Every setting comes from the environment (or a .env file); the README lists them."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from db.models import Role

DEV_SECRET = "mentori-development-secret-change-me-0123456789"
DEV_SESSION_SECRET = "mentori-development-session-secret-change-me-0123"
MIN_SECRET_BYTES = 32  # an HS256 key shorter than its 256-bit hash can be guessed offline


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class RoleRule(BaseModel):
    """A claim value that makes a person signing in hold a Mentori role: e.g. the affiliation
    claim's `student` → STUDENT, a group → COORDINATOR. A claim holding a list matches if any
    of its values does."""

    claim: str
    value: str
    role: Role


class IdentityProvider(BaseModel):
    """An OpenID Connect provider the pages sign people in through (authorization code flow
    with PKCE, app/signin.py). Configured in OIDC_PROVIDERS as a JSON list of these."""

    key: str = Field(pattern=r"^[a-z][a-z0-9-]{0,30}$")  # in its URLs: /auth/login/<key>
    label: str  # on the sign-in button: "University account", "Alumni account"
    metadata_url: str  # its discovery document (…/.well-known/openid-configuration)
    client_id: str
    client_secret: str | None = None  # none: a public client, PKCE alone
    scope: str = "openid profile email"
    # Everyone who signs in here may become a mentor candidate (alumni have no university role).
    alumni: bool = False
    roles: list[RoleRule] = []


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    env: Environment = Environment.DEVELOPMENT
    database_url: str = "sqlite+aiosqlite:///var/mentori.db"
    broker_url: str = "memory://"
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = "http://127.0.0.1:8000"
    db_pool_size: int = 10
    # A database that does not answer is reported UNAVAILABLE (503) after about this long,
    # instead of holding every request for a minute.
    db_connect_timeout_seconds: float = 3.0
    db_statement_timeout_seconds: float = 5.0
    # The largest HTTP body and WebSocket message accepted (413 / close 1009 beyond).
    max_request_bytes: int = 1_000_000

    # Tokens: HS256 with a local secret in development, RS256 (JWKS URL or PEM key) in production.
    jwt_secret: str = Field(default=DEV_SECRET)
    jwt_algorithms: list[str] = ["HS256"]
    jwt_public_key: str | None = None
    jwt_jwks_url: str | None = None
    jwt_issuer: str = "mentori-dev"
    jwt_audience: str = "mentori"
    dev_token_hours: int = 24 * 30

    # Sign-in on the pages (app/signin.py): identity providers, server-side sessions, email links.
    oidc_providers: list[IdentityProvider] = []
    # Signs the short-lived cookie that carries a sign-in's state, nonce and PKCE verifier.
    session_secret: str = Field(default=DEV_SESSION_SECRET)
    session_hours: float = 12.0  # a page sign-in lasts this long (then sign in again)
    # One-time sign-in links by email, for alumni mentors without any account.
    email_sign_in: bool = True
    sign_in_link_minutes: int = 15
    sign_in_links_per_address: int = 3  # per address, per sign_in_link_minutes
    sign_in_links_per_ip: int = 10  # per requesting IP address, per sign_in_link_minutes
    # Identity checks: may a mentor not (yet) found in the alumni register publish a profile?
    unverified_mentors_may_publish: bool = True

    # /metrics: with a token, only its bearer reads them; production without one serves none.
    metrics_token: str | None = None

    # GraphQL limits.
    max_query_depth: int = 10
    max_query_tokens: int = 2000
    max_aliases: int = 15
    # Counted as if every fragment spread were written out (schema/limits.py).
    max_query_selections: int = 2000
    max_fragment_spreads: int = 500
    max_page_size: int = 100
    max_subscriptions_per_connection: int = 20
    subscriber_queue_size: int = 100

    # Live updates (live/hub.py, live/broker.py).
    broker_channel_prefix: str = "mentori."  # processes sharing a broker must share the prefix
    live_tail_seconds: float = 1.0  # how often the event log is checked for unpublished events
    broker_heartbeat_seconds: float = 5.0  # a silent broker subscription is reopened after 3 beats
    broker_publish_timeout_seconds: float = 2.0
    stats_interval_seconds: float = 0.25  # at most one programmeStats recomputation this often

    # Email.
    mail_from: str = "Mentori <mentoring@example.edu>"
    mail_dir: str = "var/mail"
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_tls: bool = False
    smtp_ca_file: str | None = None  # trust this CA bundle too (a private relay's certificate)
    smtp_timeout_seconds: float = 30.0
    mail_poll_seconds: float = 2.0
    mail_batch_size: int = 20
    mail_lease_seconds: float = 300.0  # a claimed message is retried after this if its sender died
    mail_retry_base_seconds: float = 30.0  # backoff doubles from here...
    mail_retry_max_seconds: float = 3600.0  # ...up to this
    mail_max_attempts: int = 30  # about a day of retries before a message is marked FAILED

    # The garbage collector's full passes scan every live object: with 10,000 subscribers a
    # pass takes a second, all of it a pause in every live update (docs/performance.md). What
    # start-up built (schema, mappers, modules) is set aside from them, and the youngest
    # generation is collected less often, so fewer short-lived objects (one per message sent)
    # survive into the old one and trigger full passes. Off in tests, which start many apps.
    gc_tuned: bool = True
    gc_young_threshold: int = 50_000  # CPython's default is 700

    # Periodic tasks (expiry, reminders, survey announcements, date-of-birth clearing).
    scheduler_enabled: bool = True
    scheduler_interval_seconds: float = 60.0

    # Personal data.
    personal_data_retention_days: int = 365  # `mentori purge` after the programme's last date
    date_of_birth_retention_days: int = 14  # after mentor sign-up closes (identity checks done)

    @property
    def production(self) -> bool:
        return self.env is Environment.PRODUCTION

    @model_validator(mode="after")
    def _no_development_secret_in_production(self) -> Settings:
        if self.production and "HS256" in self.jwt_algorithms and self.jwt_secret == DEV_SECRET:
            raise ValueError(
                "ENV=production with the development JWT secret: set JWT_SECRET, or use RS256 "
                "with JWT_PUBLIC_KEY or JWT_JWKS_URL."
            )
        short = len(self.jwt_secret.encode()) < MIN_SECRET_BYTES
        if self.production and "HS256" in self.jwt_algorithms and short:
            raise ValueError(
                f"ENV=production needs a JWT_SECRET of at least {MIN_SECRET_BYTES} bytes for "
                "HS256 (e.g. `openssl rand -base64 48`), or RS256 with JWT_PUBLIC_KEY or "
                "JWT_JWKS_URL."
            )
        if self.production and self.oidc_providers and self.session_secret == DEV_SESSION_SECRET:
            raise ValueError(
                "ENV=production with sign-in providers and the development SESSION_SECRET: set "
                "SESSION_SECRET (e.g. `openssl rand -base64 48`)."
            )
        return self
