"""How well a mentor fits a student: the recommended order of the mentor search, and the few
words on each card that say why ("same field: Data Science · mentors in English").

One table of weights (`WEIGHTS`) scores both ways: `fit`, a pure function over what a card
already shows (the mentor's fields, languages and degree levels, read by the page's
DataLoaders), and `sql_score`, the same sum in SQL, which orders the search before it pages.
tests/services/test_fit.py holds the two equal."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement, bindparam, case, exists, literal, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    DegreeLevel,
    Field,
    Location,
    MentorDegreeLevel,
    MentorField,
    MentorLanguage,
    MentorProfile,
    StudentLanguage,
    StudentProfile,
)
from services.catalogue import FieldChoice, LanguageChoice


class Reason(StrEnum):
    FIELD = "FIELD"  # a field of theirs is the student's
    SCHOOL = "SCHOOL"  # else, a field in the student's school
    LANGUAGE = "LANGUAGE"  # they mentor in a language the student chose
    DEGREE_LEVEL = "DEGREE_LEVEL"  # they take the student's degree level (rule 4)
    DOCTORATE = "DOCTORATE"  # they hold a doctorate, and the student is a doctoral student
    IN_FINLAND = "IN_FINLAND"  # they live in Finland, where the student studies: can meet
    REMOTE = "REMOTE"  # they meet remotely (more so for a student on exchange)


# The degree level outweighs everything else together: a mentor who does not take it cannot
# be asked at all (rule 4), so they come last whatever else fits.
WEIGHTS = {
    Reason.DEGREE_LEVEL: 32,
    Reason.FIELD: 8,
    Reason.SCHOOL: 4,
    Reason.LANGUAGE: 4,
    Reason.DOCTORATE: 3,
    Reason.IN_FINLAND: 2,
    Reason.REMOTE: 1,
}
REMOTE_ON_EXCHANGE = 3  # a student abroad meets their mentor remotely or not at all


@dataclass(frozen=True, slots=True)
class StudentSide:
    """What of a student's profile the fit looks at."""

    degree_level: DegreeLevel
    field_id: int | None
    school: str | None
    languages: frozenset[str]
    on_exchange: bool


@dataclass(frozen=True, slots=True)
class MentorSide:
    """What of a mentor's profile the fit looks at: the rows a card shows."""

    fields: Sequence[FieldChoice]
    languages: Sequence[LanguageChoice]
    degree_levels: Collection[DegreeLevel]
    has_doctorate: bool
    location: Location
    remote_ok: bool


@dataclass(frozen=True, slots=True)
class Fit:
    score: int
    reasons: tuple[str, ...]  # the strongest first
    takes_degree_level: bool


def _weight(reason: Reason, *, on_exchange: bool) -> int:
    if reason is Reason.REMOTE and on_exchange:
        return REMOTE_ON_EXCHANGE
    return WEIGHTS[reason]


def _names(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def fit(student: StudentSide, mentor: MentorSide) -> Fit:
    found: list[tuple[Reason, str | None]] = []
    takes = student.degree_level in mentor.degree_levels
    if takes:
        # Every mentor takes master's students but a few: said only where it tells them apart.
        doctoral = student.degree_level is DegreeLevel.DOCTORAL
        found.append((Reason.DEGREE_LEVEL, "takes doctoral students" if doctoral else None))
    same_field = [f for f in mentor.fields if f.id == student.field_id]
    same_school = [f for f in mentor.fields if student.school and f.school == student.school]
    if same_field:
        found.append((Reason.FIELD, f"same field: {same_field[0].name}"))
    elif same_school:
        found.append((Reason.SCHOOL, f"same school: {student.school}"))
    shared = [lang.name for lang in mentor.languages if lang.code in student.languages]
    if shared:
        found.append((Reason.LANGUAGE, f"mentors in {_names(shared)}"))
    if student.degree_level is DegreeLevel.DOCTORAL and mentor.has_doctorate:
        found.append((Reason.DOCTORATE, "holds a doctorate"))
    if not student.on_exchange and mentor.location is Location.FINLAND:
        found.append((Reason.IN_FINLAND, "lives in Finland"))
    if mentor.remote_ok:
        found.append((Reason.REMOTE, "meets remotely"))
    found.sort(key=lambda item: -_weight(item[0], on_exchange=student.on_exchange))
    return Fit(
        score=sum(_weight(reason, on_exchange=student.on_exchange) for reason, _ in found),
        reasons=tuple(text for _, text in found if text),
        takes_degree_level=takes,
    )


@dataclass(frozen=True, slots=True)
class ScoreShape:
    """What decides the shape of `sql_score` for a student (their values are bound in at
    execution, `score_values`): one statement serves every student of the same shape."""

    by_field: bool  # they chose a field, or at least a school
    by_language: bool
    doctoral: bool
    on_exchange: bool

    @classmethod
    def of(cls, student: StudentSide) -> ScoreShape:
        return cls(
            by_field=student.field_id is not None or bool(student.school),
            by_language=bool(student.languages),
            doctoral=student.degree_level is DegreeLevel.DOCTORAL,
            on_exchange=student.on_exchange,
        )


def score_values(student: StudentSide | None) -> dict[str, object]:
    """The student's values for the parameters of `sql_score`."""
    if student is None:
        return {}
    return {
        "fit_degree_level": student.degree_level,
        "fit_field_id": student.field_id,
        "fit_school": student.school,
        "fit_languages": sorted(student.languages),
    }


def sql_score(
    shape: ScoreShape | None, mentor: type[MentorProfile] = MentorProfile
) -> ColumnElement[int]:
    """`fit(...).score` as a column of `mentor` (MentorProfile, or an alias of it), for a
    student of this shape, whose values are parameters (`score_values`); 0 for a viewer who is
    not a student with a profile."""
    if shape is None:
        return literal(0)
    weights = {reason: _weight(reason, on_exchange=shape.on_exchange) for reason in Reason}

    def points(condition: ColumnElement[bool], reason: Reason) -> ColumnElement[int]:
        return case((condition, weights[reason]), else_=0)

    takes = exists().where(
        MentorDegreeLevel.mentor_id == mentor.id,
        MentorDegreeLevel.degree_level == bindparam("fit_degree_level"),
    )
    same_field = exists().where(
        MentorField.mentor_id == mentor.id, MentorField.field_id == bindparam("fit_field_id")
    )
    same_school = exists().where(
        MentorField.mentor_id == mentor.id,
        MentorField.field_id == Field.id,
        Field.school == bindparam("fit_school"),
    )
    languages = exists().where(
        MentorLanguage.mentor_id == mentor.id,
        MentorLanguage.language_code.in_(bindparam("fit_languages", expanding=True)),
    )
    parts = [
        points(takes, Reason.DEGREE_LEVEL),
        case(
            (same_field, weights[Reason.FIELD]),
            (same_school, weights[Reason.SCHOOL]),
            else_=0,
        )
        if shape.by_field
        else literal(0),
        points(languages, Reason.LANGUAGE) if shape.by_language else literal(0),
        points(mentor.has_doctorate == true(), Reason.DOCTORATE) if shape.doctoral else literal(0),
        literal(0)
        if shape.on_exchange
        else points(mentor.location == Location.FINLAND, Reason.IN_FINLAND),
        points(mentor.remote_ok == true(), Reason.REMOTE),
    ]
    total: ColumnElement[int] = parts[0]
    for part in parts[1:]:
        total = total + part
    return total


async def students(
    session: AsyncSession, keys: Sequence[tuple[int, int]]
) -> list[StudentSide | None]:
    """The student side of each (user id, programme id): None where the person has no student
    profile in that programme. Two statements for any number of keys."""
    wanted = set(keys)
    if not wanted:
        return []
    user_ids = sorted({user for user, _ in wanted})
    programme_ids = sorted({programme for _, programme in wanted})
    rows = (
        await session.execute(
            select(
                StudentProfile.id,
                StudentProfile.user_id,
                StudentProfile.programme_id,
                StudentProfile.degree_level,
                StudentProfile.field_id,
                StudentProfile.on_exchange,
                Field.school,
            )
            .outerjoin(Field, Field.id == StudentProfile.field_id)
            .where(
                StudentProfile.user_id.in_(user_ids),
                StudentProfile.programme_id.in_(programme_ids),
            )
        )
    ).all()
    rows = [row for row in rows if (row.user_id, row.programme_id) in wanted]
    languages: dict[int, set[str]] = defaultdict(set)
    if rows:
        for student_id, code in await session.execute(
            select(StudentLanguage.student_id, StudentLanguage.language_code).where(
                StudentLanguage.student_id.in_([row.id for row in rows])
            )
        ):
            languages[student_id].add(code)
    found = {
        (row.user_id, row.programme_id): StudentSide(
            degree_level=row.degree_level,
            field_id=row.field_id,
            school=row.school,
            languages=frozenset(languages[row.id]),
            on_exchange=row.on_exchange,
        )
        for row in rows
    }
    return [found.get(key) for key in keys]
