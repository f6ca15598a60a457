"""People's text as it enters Mentori, checked by one rule for every field.

A line break in a name reaches an email header, where it breaks every message to that person;
PostgreSQL refuses a NUL byte in text; no database stores a lone surrogate; a value longer than
its column fails the write. Each check returns the value to store (stripped) or refuses it with
a sentence naming the field. Text made from people's text (a mail's subject) is shortened to
fit where it goes, not refused: see `shortened`."""

from __future__ import annotations

import re

from services.errors import invalid

MAX_EMAIL = 320  # 64 for the local part, @, 255 for the domain: also the columns' size
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# What JSON's "\ud800" decodes to: half of a UTF-16 pair, not a character. It cannot be written
# as UTF-8, so no database stores it and no page shows it.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# Control characters (C0, DEL, C1), the Unicode line and paragraph separators, lone surrogates.
NOT_IN_A_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
# Free text keeps its line breaks and tabs; nothing else invisible, and no lone surrogate.
NOT_IN_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
ELLIPSIS = "\u2026"
TRAILING = " \t,;:-\u2013\u2014"  # left dangling before an ellipsis: spaces and dashes


def shortened(value: str, max_length: int) -> str:
    """Text made from people's text, cut to fit where it goes (a name in a mail's subject): at
    a word's end when one is near the cut, with an ellipsis to show that something is left out."""
    if len(value) <= max_length:
        return value
    cut = value[: max_length - 1]
    space = cut.rfind(" ")
    if space >= max_length * 2 // 3:
        cut = cut[:space]
    return (cut.rstrip(TRAILING) or cut) + ELLIPSIS


def has_control_characters(value: str, *, multiline: bool = False) -> bool:
    return (NOT_IN_TEXT if multiline else NOT_IN_A_LINE).search(value) is not None


def _label(field: str, label: str | None) -> str:
    return label or field.replace("_", " ")


def _whole_characters(value: str, field: str, label: str) -> None:
    if LONE_SURROGATE.search(value):
        raise invalid(
            f"The {label} contains a broken character (an unpaired UTF-16 surrogate).", field=field
        )


def _within(value: str, field: str, label: str, max_length: int, required: bool) -> str:
    if required and not value:
        raise invalid(f"The {label} cannot be empty.", field=field)
    if len(value) > max_length:
        raise invalid(f"The {label} can be at most {max_length} characters.", field=field)
    return value


def one_line(
    value: str, *, field: str, max_length: int, label: str | None = None, required: bool = False
) -> str:
    """A name, a title, a place: one line, no control characters."""
    label = _label(field, label)
    value = value.strip()
    _whole_characters(value, field, label)
    if has_control_characters(value):
        raise invalid(
            f"The {label} must be one line, without line breaks or other control characters.",
            field=field,
        )
    return _within(value, field, label, max_length, required)


def free_text(
    value: str, *, field: str, max_length: int, label: str | None = None, required: bool = False
) -> str:
    """A message, a note, a background: line breaks (Windows ones become \\n) and tabs kept."""
    label = _label(field, label)
    value = value.replace("\r\n", "\n").strip()
    _whole_characters(value, field, label)
    if has_control_characters(value, multiline=True):
        raise invalid(
            f"The {label} cannot contain control characters other than line breaks and tabs.",
            field=field,
        )
    return _within(value, field, label, max_length, required)


def email_address(value: str, *, field: str = "contact_email", label: str | None = None) -> str:
    """An address as typed: surrounding spaces are a mistake to point out, not to guess at."""
    label = _label(field, label)
    if len(value) > MAX_EMAIL:
        raise invalid(f"The {label} can be at most {MAX_EMAIL} characters.", field=field)
    if has_control_characters(value) or not EMAIL.fullmatch(value):
        raise invalid(f"The {label} is not an email address.", field=field)
    return value
