"""Expected failures: a stable machine-readable code and a sentence a person understands."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    INVALID_INPUT = "INVALID_INPUT"
    PHASE_CLOSED = "PHASE_CLOSED"
    PROFILE_REQUIRED = "PROFILE_REQUIRED"
    PROFILE_EXISTS = "PROFILE_EXISTS"
    PROFILE_INCOMPLETE = "PROFILE_INCOMPLETE"
    STUDENT_HAS_PENDING_REQUEST = "STUDENT_HAS_PENDING_REQUEST"
    STUDENT_ALREADY_MATCHED = "STUDENT_ALREADY_MATCHED"
    ALREADY_REQUESTED = "ALREADY_REQUESTED"
    MENTOR_FULL = "MENTOR_FULL"
    MENTOR_BUSY = "MENTOR_BUSY"
    MENTOR_NOT_AVAILABLE = "MENTOR_NOT_AVAILABLE"
    DEGREE_LEVEL_MISMATCH = "DEGREE_LEVEL_MISMATCH"
    REQUEST_NOT_PENDING = "REQUEST_NOT_PENDING"
    CAPACITY_BELOW_ACCEPTED = "CAPACITY_BELOW_ACCEPTED"
    CONFLICT = "CONFLICT"
    BRIEFING_FULL = "BRIEFING_FULL"
    ALREADY_ANSWERED = "ALREADY_ANSWERED"
    NOT_MATCHED = "NOT_MATCHED"
    NUDGED_RECENTLY = "NUDGED_RECENTLY"
    MENTOR_HIDDEN_BY_COORDINATOR = "MENTOR_HIDDEN_BY_COORDINATOR"
    MENTOR_ALREADY_HIDDEN = "MENTOR_ALREADY_HIDDEN"
    ALREADY_COORDINATOR = "ALREADY_COORDINATOR"
    ALREADY_INVITED = "ALREADY_INVITED"
    INVITATION_NOT_OPEN = "INVITATION_NOT_OPEN"
    LAST_COORDINATOR = "LAST_COORDINATOR"
    ROLE_FROM_IDENTITY_PROVIDER = "ROLE_FROM_IDENTITY_PROVIDER"
    IDENTITY_NOT_VERIFIED = "IDENTITY_NOT_VERIFIED"
    RATE_LIMITED = "RATE_LIMITED"
    CSRF_REFUSED = "CSRF_REFUSED"
    SIGN_IN_LINK_USED = "SIGN_IN_LINK_USED"
    SIGN_IN_LINK_EXPIRED = "SIGN_IN_LINK_EXPIRED"


class DomainError(Exception):
    def __init__(self, code: ErrorCode, message: str, **details: object) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


def not_found(what: str) -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, f"No {what} with that id exists, or you cannot see it.")


def forbidden(message: str = "You are not allowed to do that.") -> DomainError:
    return DomainError(ErrorCode.FORBIDDEN, message)


def invalid(message: str, **details: object) -> DomainError:
    return DomainError(ErrorCode.INVALID_INPUT, message, **details)


# An error names what a person sent by its first characters: enough to recognise it, never a
# huge value whole (a 100,000-character id came back twice in a 200 KB answer).
QUOTE_LENGTH = 40


def shortened(text: str) -> str:
    return text if len(text) <= QUOTE_LENGTH else text[:QUOTE_LENGTH] + "…"


def quoted(value: object) -> str:
    return repr(shortened(str(value)))
