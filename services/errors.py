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
