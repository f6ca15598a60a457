"""Dates and moments as they enter Mentori, checked by one rule for every input: within the
years 1900 to 2200.

Python's calendar ends with the year 9999, so a phase that closes on 31 Dec 9999 fails as soon
as anything adds a day to it (when a date of birth is to be cleared), and neither
9999-12-31T23:59:59-14:00 nor 0001-01-01T00:00:00+14:00 can be written in UTC at all. No
programme, meeting or briefing lies outside these years: such a date is a typo, refused with a
sentence naming the field before anything computes with it."""

from __future__ import annotations

from datetime import date, datetime

from services.errors import invalid

FIRST_YEAR = 1900
LAST_YEAR = 2200


def _within_years(year: int, field: str, label: str) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise invalid(f"The {label} must be in the years {FIRST_YEAR} to {LAST_YEAR}.", field=field)


def checked_date(value: date, *, field: str, label: str) -> date:
    _within_years(value.year, field, label)
    return value


def checked_moment(value: datetime, *, field: str, label: str) -> datetime:
    """A moment with its UTC offset (a local time alone names no moment)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise invalid(f"Give the {label} with its UTC offset.", field=field)
    _within_years(value.year, field, label)
    return value
