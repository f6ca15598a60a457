"""The alumni register as a coordinator exports it (a CSV file: name, date of birth, and
optionally the degree), read and held against mentors' names and dates of birth. Nothing here
touches the database; services/identity_checks.py uses it.

A name is compared as a person would: NFKC, letter case folded, accents kept (Öhman is not
Ohman), spaces collapsed, and "Family, Given" read as "Given Family". A date of birth is
written 1980-01-31 or 31.1.1980. No sentence here quotes a date: the date of birth is never
shown (rule 2)."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from difflib import SequenceMatcher

from db.catalogue import FileError, Row, read
from services.errors import DomainError, invalid
from services.text import one_line

COLUMNS = ("name", "date of birth")
OPTIONAL = ("degree",)
MAX_NAME = 200
MAX_DEGREE = 200
# A name this close to the register's (difflib's ratio), with the same date of birth, is
# reported as a near miss rather than left unmatched: a typo, a second given name left out.
SIMILAR = 0.8
ISO = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
FINNISH = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})")
DATE_FORMS = "1980-01-31 or 31.1.1980"


@dataclass(frozen=True, slots=True)
class Entry:
    """A person of the register, as a line of the file names them."""

    line: int
    name: str
    key: str  # the name as compared
    born: date
    degree: str | None


@dataclass(frozen=True, slots=True)
class Unreadable:
    line: int
    message: str


@dataclass(frozen=True, slots=True)
class Register:
    entries: list[Entry]
    unreadable: list[Unreadable]

    @property
    def rows(self) -> int:
        return len(self.entries) + len(self.unreadable)


def name_key(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).casefold()
    family, comma, given = text.partition(",")
    if comma:
        text = f"{given} {family}"
    return unicodedata.normalize("NFKC", " ".join(text.split()))


def family_name(key: str) -> str:
    words = key.split()
    return words[-1] if words else ""


def parsed_date(text: str) -> date | None:
    if found := ISO.fullmatch(text):
        year, month, day = found.groups()
    elif found := FINNISH.fullmatch(text):
        day, month, year = found.groups()
    else:
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def _entry(row: Row) -> Entry:
    name = one_line(row.values["name"], field="name", max_length=MAX_NAME, required=True)
    written = row.values["date of birth"]
    if not written:
        raise invalid("The date of birth is missing.")
    born = parsed_date(written)
    if born is None:
        raise invalid(f"The date of birth is not a date: write it as {DATE_FORMS}.")
    degree = one_line(row.values.get("degree", ""), field="degree", max_length=MAX_DEGREE)
    return Entry(row.line, name, name_key(name), born, degree or None)


def read_register(text: str) -> Register:
    """The register's rows; a line that cannot be read is set aside with a sentence. A file
    that is not the register's (columns, values a line, not CSV) is refused with its line."""
    try:
        rows = read(text.removeprefix("\ufeff"), required=COLUMNS, optional=OPTIONAL)
    except FileError as error:
        raise invalid(str(error), line=error.line) from error
    if not rows:
        raise invalid("The file names its columns but lists nobody below them.")
    entries, unreadable = [], []
    for row in rows:
        try:
            entries.append(_entry(row))
        except DomainError as error:
            unreadable.append(Unreadable(row.line, error.message))
    return Register(entries, unreadable)


@dataclass(frozen=True, slots=True)
class Found:
    """What the register says of one mentor: `entry` verifies them, or `near` (with `reason`)
    nearly does; neither, nothing."""

    entry: Entry | None = None
    near: Sequence[Entry] = ()
    reason: str = ""


class Index:
    def __init__(self, entries: Iterable[Entry]) -> None:
        self.by_name: dict[str, list[Entry]] = defaultdict(list)
        self.by_date: dict[date, list[Entry]] = defaultdict(list)
        for entry in entries:
            self.by_name[entry.key].append(entry)
            self.by_date[entry.born].append(entry)

    def find(self, names: Sequence[str], born: date, shown_as: str) -> Found:
        """The register's word on a mentor known by these names (the profile's, the
        person's), born on that day; `shown_as` names them in a sentence."""
        keys = [k for k in dict.fromkeys(name_key(n) for n in names) if k]
        named = [e for k in keys for e in self.by_name.get(k, ())]
        for entry in named:
            if entry.born == born:
                return Found(entry=entry)
        similar = [
            (max(_likeness(key, entry.key) for key in keys), entry)
            for entry in self.by_date.get(born, ())
        ]
        similar = [(score, entry) for score, entry in similar if score >= SIMILAR]
        if similar:
            _, best = max(similar, key=lambda pair: pair[0])
            reason = f"the date of birth matches but the name differs: {best.name} / {shown_as}"
            return Found(near=[best], reason=reason)
        if named:
            return Found(near=named, reason="the name matches but the date of birth does not")
        return Found()


def _likeness(key: str, other: str) -> float:
    if family_name(key) and family_name(key) == family_name(other):
        return 1.0
    return SequenceMatcher(None, key, other).ratio()
