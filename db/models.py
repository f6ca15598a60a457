"""The programme's data: every table Mentori stores, typed for SQLAlchemy 2."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


def table_of(model: type[Base]) -> Table:
    """A mapped class's table, for Core statements that load no objects (cheaper to run on hot
    paths than the same statement on the class)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=32, validate_strings=True)


class Role(enum.StrEnum):
    STUDENT = "STUDENT"
    MENTOR = "MENTOR"
    COORDINATOR = "COORDINATOR"


class DegreeLevel(enum.StrEnum):
    MASTERS = "MASTERS"
    DOCTORAL = "DOCTORAL"


class Location(enum.StrEnum):
    FINLAND = "FINLAND"
    ABROAD = "ABROAD"


class ProfileStatus(enum.StrEnum):
    DRAFT = "DRAFT"
    PUBLISHED = "PUBLISHED"
    WITHDRAWN = "WITHDRAWN"


class RequestStatus(enum.StrEnum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    WITHDRAWN = "WITHDRAWN"
    EXPIRED = "EXPIRED"
    CLOSED_MENTOR_FULL = "CLOSED_MENTOR_FULL"


class Phase(enum.StrEnum):
    MENTOR_SIGNUP = "MENTOR_SIGNUP"
    STUDENT_REQUESTS = "STUDENT_REQUESTS"
    BRIEFINGS = "BRIEFINGS"
    PROGRAMME = "PROGRAMME"
    HALFWAY_SURVEY = "HALFWAY_SURVEY"
    FINAL_SURVEY = "FINAL_SURVEY"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(255), unique=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime]
    # Set when the person's data was erased (services/erasure.py): the row stays, anonymous.
    erased_at: Mapped[datetime | None] = mapped_column(default=None)
    # Set with it: a digest of the sign-in subject the person had, so that a token issued before
    # the erasure is refused (services/users.py) without the subject itself being kept.
    erased_subject_digest: Mapped[str | None] = mapped_column(String(40), index=True, default=None)


class UserRole(Base):
    """The roles a person holds in Mentori: Mentori's to grant (services/roles.py), from the
    identity provider's claims, a coordinator's invitation, or the alumni sign-in. The
    person acts in one of them per request; `users.role` is the one used when none is named."""

    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(_enum(Role, "role"), primary_key=True)
    # Where it came from (services/roles.py, RoleSource): "claims", "token", "invite",
    # "alumni", "email". Each source grants on its own: a role two sources grant stays when one
    # of them stops granting it.
    source: Mapped[str] = mapped_column(String(20), primary_key=True)
    granted_at: Mapped[datetime]
    # When a coordinator removed it (services/coordinators.py): kept so that the source (a
    # token that still names the role) does not grant it again. Held: rows without it.
    removed_at: Mapped[datetime | None] = mapped_column(default=None)


class SignInSession(Base):
    """A browser signed in through the pages (services/sign_in_sessions.py): the cookie holds
    an opaque id, only its digest is stored. Ended by sign-out, erasure or expiry."""

    __tablename__ = "sign_in_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(40))  # a provider's key, or "email"
    # The provider's ID token, kept only to offer its end-session (id_token_hint).
    id_token: Mapped[str | None] = mapped_column(Text, default=None)
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class EmailSignInLink(Base):
    """A one-time sign-in link mailed to an address (services/email_links.py): its digest,
    valid for minutes, used once."""

    __tablename__ = "email_sign_in_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    # A digest of the address the request came from, for the per-address rate limit.
    requested_from: Mapped[str] = mapped_column(String(64), index=True)
    next_page: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(index=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)


OPEN_INVITE = "accepted_at IS NULL AND revoked_at IS NULL"


class CoordinatorInvite(Base):
    """A coordinator's invitation of another by email (services/coordinators.py): whoever
    signs in with that verified address becomes a coordinator."""

    __tablename__ = "coordinator_invites"
    __table_args__ = (
        # One open invitation per address, however many coordinators invite it at once.
        Index(
            "uq_coordinator_invites_open",
            "email",
            unique=True,
            postgresql_where=text(OPEN_INVITE),
            sqlite_where=text(OPEN_INVITE),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)  # as compared: case-folded
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None] = mapped_column(default=None)
    accepted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class Programme(Base):
    __tablename__ = "programmes"
    __table_args__ = (
        CheckConstraint("student_pending_limit >= 1", name="student_pending_limit"),
        CheckConstraint("mentor_pending_limit >= 1", name="mentor_pending_limit"),
        # A programme id is never reused (even on SQLite), so event sequences never restart.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Helsinki")
    student_pending_limit: Mapped[int] = mapped_column(Integer, default=1)
    mentor_pending_limit: Mapped[int] = mapped_column(Integer, default=2)
    request_expiry_hours: Mapped[int | None] = mapped_column(Integer, default=72)
    reminder_hours_before_expiry: Mapped[int | None] = mapped_column(Integer, default=24)
    event_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime]
    # Set by `mentori purge` once the programme's personal data has been anonymised.
    purged_at: Mapped[datetime | None] = mapped_column(default=None)

    phases: Mapped[list[ProgrammePhase]] = relationship(
        lazy="raise", order_by="ProgrammePhase.opens_on", cascade="all, delete-orphan"
    )


class ProgrammePhase(Base):
    __tablename__ = "programme_phases"
    __table_args__ = (
        UniqueConstraint("programme_id", "phase"),
        CheckConstraint("opens_on <= closes_on", name="dates_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"))
    phase: Mapped[Phase] = mapped_column(_enum(Phase, "phase"))
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)


class Language(Base):
    __tablename__ = "languages"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    # A retired language stays on the profiles that have it and in search, but is not offered.
    retired_at: Mapped[datetime | None] = mapped_column(default=None)

    @property
    def retired(self) -> bool:
        return self.retired_at is not None


class Field(Base):
    __tablename__ = "fields"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    school: Mapped[str] = mapped_column(String(120))
    retired_at: Mapped[datetime | None] = mapped_column(default=None)  # as Language's

    @property
    def retired(self) -> bool:
        return self.retired_at is not None


class MentorLanguage(Base):
    __tablename__ = "mentor_languages"

    mentor_id: Mapped[int] = mapped_column(
        ForeignKey("mentor_profiles.id", ondelete="CASCADE"), primary_key=True
    )
    language_code: Mapped[str] = mapped_column(
        ForeignKey("languages.code"), primary_key=True, index=True
    )


class MentorField(Base):
    __tablename__ = "mentor_fields"

    mentor_id: Mapped[int] = mapped_column(
        ForeignKey("mentor_profiles.id", ondelete="CASCADE"), primary_key=True
    )
    field_id: Mapped[int] = mapped_column(ForeignKey("fields.id"), primary_key=True, index=True)


class MentorDegreeLevel(Base):
    __tablename__ = "mentor_degree_levels"

    mentor_id: Mapped[int] = mapped_column(
        ForeignKey("mentor_profiles.id", ondelete="CASCADE"), primary_key=True
    )
    degree_level: Mapped[DegreeLevel] = mapped_column(
        _enum(DegreeLevel, "degree_level"), primary_key=True, index=True
    )


class MentorProfile(Base):
    __tablename__ = "mentor_profiles"
    __table_args__ = (
        UniqueConstraint("programme_id", "user_id"),
        CheckConstraint("capacity BETWEEN 1 AND 2", name="capacity_one_or_two"),
        CheckConstraint(
            "accepted_count >= 0 AND accepted_count <= capacity", name="not_over_capacity"
        ),
        CheckConstraint("pending_count >= 0", name="pending_not_negative"),
        Index("ix_mentor_profiles_listing", "programme_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[ProfileStatus] = mapped_column(
        _enum(ProfileStatus, "profile_status"), default=ProfileStatus.DRAFT
    )
    display_name: Mapped[str] = mapped_column(String(200))
    headline: Mapped[str] = mapped_column(String(200), default="")
    educational_background: Mapped[str] = mapped_column(Text, default="")
    professional_background: Mapped[str] = mapped_column(Text, default="")
    career_experience: Mapped[str] = mapped_column(Text, default="")
    working_life_years: Mapped[int] = mapped_column(Integer, default=0)
    has_doctorate: Mapped[bool] = mapped_column(Boolean, default=False)
    location: Mapped[Location] = mapped_column(
        _enum(Location, "location"), default=Location.FINLAND
    )
    city: Mapped[str] = mapped_column(String(120), default="")
    remote_ok: Mapped[bool] = mapped_column(Boolean, default=True)
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    contact_email: Mapped[str] = mapped_column(String(320))
    # Asked for identity checks only; never exposed through the API.
    date_of_birth: Mapped[date | None] = mapped_column(Date, default=None)
    accepted_count: Mapped[int] = mapped_column(Integer, default=0)
    pending_count: Mapped[int] = mapped_column(Integer, default=0)
    # A coordinator took the profile off the list (services/mentor_hiding.py): until they let
    # the mentor publish again, publishing is refused. The reason is the mentor's to read.
    # No default: a row written without them leaves them out (as tables before 0007 must).
    hidden_by_coordinator_at: Mapped[datetime | None]
    hidden_reason: Mapped[str | None] = mapped_column(Text)
    # Identity checks (services/identity_checks.py): when the mentor was found in the alumni
    # register (or confirmed by a coordinator), and how: "register" or "coordinator".
    identity_verified_at: Mapped[datetime | None] = mapped_column(default=None)
    identity_verified_by: Mapped[str | None] = mapped_column(String(20), default=None)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    user: Mapped[User] = relationship(lazy="raise")
    programme: Mapped[Programme] = relationship(lazy="raise")


class StudentProfile(Base):
    __tablename__ = "student_profiles"
    __table_args__ = (
        UniqueConstraint("programme_id", "user_id"),
        CheckConstraint("pending_count >= 0", name="pending_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    display_name: Mapped[str] = mapped_column(String(200))
    degree_level: Mapped[DegreeLevel] = mapped_column(_enum(DegreeLevel, "degree_level"))
    field_id: Mapped[int | None] = mapped_column(ForeignKey("fields.id"), default=None)
    international: Mapped[bool] = mapped_column(Boolean, default=False)
    on_exchange: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_email: Mapped[str] = mapped_column(String(320))
    pending_count: Mapped[int] = mapped_column(Integer, default=0)
    matched: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    user: Mapped[User] = relationship(lazy="raise")


class StudentLanguage(Base):
    __tablename__ = "student_languages"

    student_id: Mapped[int] = mapped_column(
        ForeignKey("student_profiles.id", ondelete="CASCADE"), primary_key=True
    )
    language_code: Mapped[str] = mapped_column(ForeignKey("languages.code"), primary_key=True)


OPEN_PAIR = "status IN ('PENDING', 'ACCEPTED', 'REJECTED')"


class MentorRequest(Base):
    __tablename__ = "requests"
    __table_args__ = (
        Index("ix_requests_mentor_status", "mentor_id", "status"),
        Index("ix_requests_student_status", "student_id", "status"),
        Index("ix_requests_programme_status", "programme_id", "status", "created_at"),
        # A student asks a mentor once (withdrawn, expired or closed requests may be asked again).
        Index(
            "uq_requests_open_pair",
            "mentor_id",
            "student_id",
            unique=True,
            postgresql_where=text(OPEN_PAIR),
            sqlite_where=text(OPEN_PAIR),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(ForeignKey("student_profiles.id", ondelete="CASCADE"))
    mentor_id: Mapped[int] = mapped_column(ForeignKey("mentor_profiles.id", ondelete="CASCADE"))
    status: Mapped[RequestStatus] = mapped_column(
        _enum(RequestStatus, "request_status"), default=RequestStatus.PENDING
    )
    message: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    reminded_at: Mapped[datetime | None] = mapped_column(default=None)


class Match(Base):
    __tablename__ = "matches"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"))
    request_id: Mapped[int] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), unique=True
    )
    # One match per student: the database refuses a second.
    student_id: Mapped[int] = mapped_column(
        ForeignKey("student_profiles.id", ondelete="CASCADE"), unique=True
    )
    mentor_id: Mapped[int] = mapped_column(
        ForeignKey("mentor_profiles.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]
    # When a coordinator last reminded the pair to meet (services/nudges.py): once a week at most.
    nudged_at: Mapped[datetime | None] = mapped_column(default=None)


class Event(Base):
    """The durable, ordered log of every state change, numbered per programme."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("programme_id", "seq"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class OutboxStatus(enum.StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"


class OutboxMessage(Base):
    """An email written in the same transaction as the change it reports."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int | None] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), default=None
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    kind: Mapped[str] = mapped_column(String(64))
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    status: Mapped[OutboxStatus] = mapped_column(
        _enum(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    # The sender that holds the row until next_attempt_at (its lease); see app/mailer.py.
    claim_token: Mapped[str | None] = mapped_column(String(36), default=None)


# The programme year around the request round (rules 1 and 10): briefings, surveys, meetings.


class BriefingAudience(enum.StrEnum):
    MENTORS = "MENTORS"
    STUDENTS = "STUDENTS"


class BriefingSession(Base):
    """A briefing session; the database keeps sign-ups within its capacity."""

    __tablename__ = "briefing_sessions"
    __table_args__ = (
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        CheckConstraint(
            "signed_up_count >= 0 AND signed_up_count <= capacity", name="not_over_capacity"
        ),
        Index("ix_briefing_sessions_programme", "programme_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"))
    audience: Mapped[BriefingAudience] = mapped_column(_enum(BriefingAudience, "briefing_audience"))
    starts_at: Mapped[datetime]
    duration_minutes: Mapped[int] = mapped_column(Integer, default=90)
    place: Mapped[str] = mapped_column(String(300), default="")
    online_url: Mapped[str] = mapped_column(String(500), default="")
    capacity: Mapped[int] = mapped_column(Integer)
    signed_up_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]


class BriefingSignUp(Base):
    __tablename__ = "briefing_signups"
    # One briefing per person per programme; an erased person's row stays as an anonymous count.
    __table_args__ = (UniqueConstraint("programme_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(
        ForeignKey("briefing_sessions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime]


class SurveyKind(enum.StrEnum):
    HALFWAY = "HALFWAY"
    FINAL = "FINAL"


class QuestionKind(enum.StrEnum):
    SCALE_1_5 = "SCALE_1_5"
    TEXT = "TEXT"


class MatchSide(enum.StrEnum):
    MENTOR = "MENTOR"
    STUDENT = "STUDENT"


class Survey(Base):
    """The halfway check-in or the final feedback survey; open while its programme phase is."""

    __tablename__ = "surveys"
    __table_args__ = (UniqueConstraint("programme_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"))
    kind: Mapped[SurveyKind] = mapped_column(_enum(SurveyKind, "survey_kind"))
    title: Mapped[str] = mapped_column(String(200))
    announced_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    questions: Mapped[list[SurveyQuestion]] = relationship(
        lazy="raise", order_by="SurveyQuestion.position", cascade="all, delete-orphan"
    )


class SurveyQuestion(Base):
    __tablename__ = "survey_questions"
    __table_args__ = (UniqueConstraint("survey_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[QuestionKind] = mapped_column(_enum(QuestionKind, "question_kind"))
    prompt: Mapped[str] = mapped_column(Text)


class SurveyResponse(Base):
    """One side of one match answering one survey: the database refuses a second."""

    __tablename__ = "survey_responses"
    __table_args__ = (UniqueConstraint("survey_id", "match_id", "side"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"), index=True)
    side: Mapped[MatchSide] = mapped_column(_enum(MatchSide, "match_side"))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    submitted_at: Mapped[datetime]


class SurveyAnswer(Base):
    __tablename__ = "survey_answers"
    __table_args__ = (
        UniqueConstraint("response_id", "question_id"),
        CheckConstraint(
            "scale_value IS NULL OR scale_value BETWEEN 1 AND 5", name="scale_one_to_five"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(
        ForeignKey("survey_questions.id", ondelete="CASCADE"), index=True
    )
    scale_value: Mapped[int | None] = mapped_column(Integer, default=None)
    text_value: Mapped[str | None] = mapped_column(Text, default=None)


class Meeting(Base):
    """A meeting of a matched pair; the note is for the pair only."""

    __tablename__ = "meetings"
    __table_args__ = (Index("ix_meetings_match_met_on", "match_id", "met_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"))
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"))
    met_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[MatchSide] = mapped_column(_enum(MatchSide, "match_side"))
    recorded_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime]
