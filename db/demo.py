"""What the demo programme shares with the database: the catalogue of languages and fields it is
written in, the subjects of the three demo people, and whether a database has a programme yet.
The programme itself is made by app/demo."""

from __future__ import annotations

from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Field, Language, Programme

DEMO_SUBJECTS: Final[dict[str, str]] = {
    "student": "demo-student",
    "mentor": "demo-mentor",
    "coordinator": "demo-coordinator",
}

LANGUAGES: Final[tuple[tuple[str, str], ...]] = (
    ("fi", "Finnish"),
    ("en", "English"),
    ("sv", "Swedish"),
    ("de", "German"),
    ("fr", "French"),
    ("es", "Spanish"),
    ("ru", "Russian"),
    ("zh", "Chinese"),
    ("et", "Estonian"),
    ("ja", "Japanese"),
    ("it", "Italian"),
    ("pt", "Portuguese"),
    ("ar", "Arabic"),
    ("hi", "Hindi"),
)

ENGINEERING = "School of Engineering"
ELECTRICAL = "School of Electrical Engineering"
SCIENCE = "School of Science"
CHEMICAL = "School of Chemical Engineering"
BUSINESS = "School of Business"
ARTS = "School of Arts, Design and Architecture"

SCHOOL_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    ENGINEERING: (
        "Civil Engineering",
        "Mechanical Engineering",
        "Energy Technology",
        "Spatial Planning and Transportation Engineering",
    ),
    ELECTRICAL: (
        "Automation and Electrical Engineering",
        "Communications Engineering",
        "Electronics and Nanotechnology",
    ),
    SCIENCE: (
        "Computer Science",
        "Data Science",
        "Mathematics",
        "Engineering Physics",
        "Industrial Engineering and Management",
        "Life Science Technologies",
    ),
    CHEMICAL: ("Chemical Engineering", "Bioproducts", "Materials Science"),
    BUSINESS: (
        "Accounting",
        "Finance",
        "Marketing",
        "Management",
        "Information and Service Management",
        "Economics",
        "International Business",
    ),
    ARTS: (
        "Architecture",
        "Landscape Architecture",
        "Design",
        "Film and Television",
        "Media",
        "Art Education",
        "Fashion and Collection Design",
    ),
}

FIELDS: Final[tuple[tuple[str, str], ...]] = tuple(
    (name, school) for school, names in SCHOOL_FIELDS.items() for name in names
)


async def ensure_catalogue(session: AsyncSession) -> None:
    """Add whichever languages and fields are missing. Flushes; never commits."""

    have_codes = set((await session.scalars(select(Language.code))).all())
    have_names = set((await session.scalars(select(Language.name))).all())
    session.add_all(
        Language(code=code, name=name)
        for code, name in LANGUAGES
        if code not in have_codes and name not in have_names
    )
    have_fields = set((await session.scalars(select(Field.name))).all())
    session.add_all(
        Field(name=name, school=school) for name, school in FIELDS if name not in have_fields
    )
    await session.flush()


async def is_empty(session: AsyncSession) -> bool:
    """True when no programme exists yet."""

    return (await session.scalar(select(Programme.id).limit(1))) is None
