"""Every setting comes from the environment (or a .env file); the README lists them."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "mentori-development-secret-change-me-0123456789"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    env: Environment = Environment.DEVELOPMENT
    database_url: str = "sqlite+aiosqlite:///var/mentori.db"
    broker_url: str = "memory://"
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = "http://127.0.0.1:8000"
    db_pool_size: int = 10

    # Tokens: HS256 with a local secret in development, RS256 (JWKS URL or PEM key) in production.
    jwt_secret: str = Field(default=DEV_SECRET)
    jwt_algorithms: list[str] = ["HS256"]
    jwt_public_key: str | None = None
    jwt_jwks_url: str | None = None
    jwt_issuer: str = "mentori-dev"
    jwt_audience: str = "mentori"
    dev_token_hours: int = 24 * 30

    # Sign-in on the pages through the identity provider (OpenID Connect, token in the fragment).
    oidc_authorize_url: str | None = None
    oidc_client_id: str | None = None
    oidc_scope: str = "openid profile email"

    # GraphQL limits.
    max_query_depth: int = 10
    max_query_tokens: int = 2000
    max_aliases: int = 15
    max_page_size: int = 100
    max_subscriptions_per_connection: int = 20
    subscriber_queue_size: int = 100

    # Live updates (app/events.py, app/broker.py).
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
    # pass takes a second, all of it a pause in every live update (README, Performance). What
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
        return self
