"""Each input type hands every field it declares to its service's input, by name."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest
import strawberry

from db.models import BriefingAudience, DegreeLevel, Location
from schema import ids
from schema.briefings import BriefingSessionInput
from schema.inputs import MentorProfileInput, StudentProfileInput

FIELD = ids.encode("Field", 7)


@pytest.mark.parametrize(
    "given",
    [
        MentorProfileInput(
            display_name="Aino",
            headline="Data engineer",
            educational_background="MSc",
            professional_background="Ten years",
            career_experience="Startups",
            working_life_years=10,
            has_doctorate=False,
            location=Location.FINLAND,
            city="Turku",
            remote_ok=True,
            capacity=2,
            contact_email="aino@example.org",
            date_of_birth=date(1961, 7, 29),
            languages=["fi"],
            degree_levels=[DegreeLevel.DOCTORAL],
            fields=[strawberry.ID(FIELD)],
        ),
        StudentProfileInput(
            display_name="Ville",
            degree_level=DegreeLevel.MASTERS,
            field=strawberry.ID(FIELD),
            languages=["sv"],
            international=True,
            on_exchange=False,
            contact_email="ville@example.org",
        ),
        BriefingSessionInput(
            audience=BriefingAudience.MENTORS,
            starts_at=datetime(2027, 2, 3, 14, tzinfo=UTC),
            duration_minutes=60,
            place="Agora",
            online_url="https://example.org/meet",
            capacity=9,
        ),
    ],
    ids=lambda given: type(given).__name__,
)
def test_every_field_given_reaches_the_service(given: object) -> None:
    handed = given.to_service()  # type: ignore[attr-defined]
    for field in dataclasses.fields(given):  # type: ignore[arg-type]
        value = getattr(given, field.name)
        assert value is not None, f"give {field.name} a value"
        match field.name:
            case "fields":
                assert handed.field_ids == [7]
            case "field":
                assert handed.field_id == 7
            case name:
                assert getattr(handed, name) == value, name
