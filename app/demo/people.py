"""The demo's people, made up from one seeded ``random.Random``: mentors with their stories and
students with their degree, field and languages. Nothing here touches the database."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from app.demo.words import (
    ABROAD_CITIES,
    DEGREES,
    EMPLOYERS,
    FIELD_DEGREES,
    FINNISH,
    FINNISH_CITIES,
    HELP,
    SWEDISH_SURNAMES,
    THIRD_LANGUAGES,
    TITLES,
    TOPICS,
    Origin,
    as_title,
    email_for,
    moment,
    pick_origin,
    random_name,
)
from db.demo import DEMO_SUBJECTS, SCIENCE
from db.models import DegreeLevel, Location, ProfileStatus
from services.mentors import MIN_WORKING_LIFE_YEARS

COORDINATOR = ("Helmi Lehtonen", "helmi.lehtonen@example.edu")
DEMO_MENTOR = ("Antti Salminen", "antti.salminen@example.com")
DEMO_STUDENT = ("Priya Sharma", "priya.sharma@students.example.edu")


@dataclass(slots=True, eq=False)
class DemoMentor:
    subject: str
    status: ProfileStatus
    capacity: int
    levels: frozenset[DegreeLevel]
    languages: tuple[str, ...]
    fields: tuple[int, ...]
    profile: dict[str, Any]  # the profile's own columns, as a mentor fills them in
    created: datetime
    updated: datetime
    demo: bool = False
    id: int = 0  # given once the profile is written
    user_id: int = 0
    # What the planned requests leave (services/availability.py reads the same counters).
    accepted: int = 0
    pending: int = 0
    filled_at: datetime | None = None  # the last acceptance; when it filled up, if full


@dataclass(slots=True, eq=False)
class DemoStudent:
    subject: str
    name: str
    email: str
    level: DegreeLevel
    field_id: int
    languages: tuple[str, ...]
    international: bool
    on_exchange: bool
    demo: bool = False
    id: int = 0
    user_id: int = 0
    pending: int = 0
    matched: bool = False
    asked: set[int] = field(default_factory=set)  # mentors asked; a student asks each once
    current_mentor: int | None = None  # the mentor of its pending or accepted request
    current_since: datetime | None = None
    first_request_at: datetime | None = None


class People:
    """Generates the mentors and students, the demo mentor and student first."""

    def __init__(
        self,
        *,
        rng: random.Random,
        now: datetime,
        signup_opens: datetime,
        requests_open: datetime,
        fields: list[tuple[int, str, str]],
        languages: set[str],
        year: int,
    ) -> None:
        self.rng = rng
        self.now = now
        self.signup_opens = signup_opens
        self.requests_open = requests_open
        self.fields = sorted(fields)
        self.field_ids = [fid for fid, _, _ in self.fields]
        self.field_names = {fid: fname for fid, fname, _ in self.fields}
        self.field_school = {fid: school for fid, _, school in self.fields}
        self.field_by_name = {fname: fid for fid, fname, _ in self.fields}
        self.by_school: dict[str, list[int]] = {}
        for fid, _, school in self.fields:
            self.by_school.setdefault(school, []).append(fid)
        self.schools = sorted(self.by_school)
        self.school_weights = [len(self.by_school[s]) for s in self.schools]
        self.languages = languages
        self.year = year
        self.mentors: list[DemoMentor] = []
        self.students: list[DemoStudent] = []

    def _langs(self, *codes: str | None) -> tuple[str, ...]:
        seen: list[str] = []
        for code in codes:
            if code and code in self.languages and code not in seen:
                seen.append(code)
        return tuple(seen) or ("en",)

    def generate(self, mentors: int, students: int) -> None:
        rng = self.rng
        self._mentor(DEMO_SUBJECTS["mentor"], *DEMO_MENTOR, FINNISH, demo=True)
        for n in range(1, mentors + 1):
            origin = FINNISH if rng.random() < 0.7 else pick_origin(rng)
            name = random_name(rng, origin)
            self._mentor(f"mentor-{n}", name, email_for(name, n, "example.com"), origin)
        self.students.append(
            DemoStudent(
                subject=DEMO_SUBJECTS["student"],
                name=DEMO_STUDENT[0],
                email=DEMO_STUDENT[1],
                level=DegreeLevel.MASTERS,
                field_id=self.field_by_name.get("Computer Science", self.fields[0][0]),
                languages=self._langs("en"),
                international=True,
                on_exchange=False,
                demo=True,
            )
        )
        for n in range(1, students + 1):
            self._student(n)

    def _mentor(
        self, subject: str, name: str, email: str, origin: Origin, *, demo: bool = False
    ) -> None:
        rng = self.rng
        if demo:
            wanted = (
                self.field_by_name.get("Computer Science"),
                self.field_by_name.get("Data Science"),
            )
            field_ids = tuple(f for f in wanted if f is not None) or (self.fields[0][0],)
            years, doctorate, capacity, status = 14, True, 2, ProfileStatus.PUBLISHED
            location, city, remote = Location.FINLAND, "Helsinki", True
            languages = self._langs("fi", "en", "sv")
            levels = frozenset({DegreeLevel.MASTERS, DegreeLevel.DOCTORAL})
        else:
            school = rng.choices(self.schools, weights=self.school_weights)[0]
            count = rng.choices((1, 2, 3), weights=(40, 40, 20))[0]
            chosen: list[int] = []
            while len(chosen) < count:
                pool = self.by_school[school] if rng.random() < 0.8 else self.field_ids
                fid = rng.choice(pool)
                if fid not in chosen:
                    chosen.append(fid)
            field_ids = tuple(chosen)
            # Enough years of working life to publish a profile (rule 2), and at most 35.
            years = min(35, MIN_WORKING_LIFE_YEARS + int(rng.betavariate(1.6, 2.6) * 32))
            doctorate = rng.random() < 0.15
            capacity = 2 if rng.random() < 0.4 else 1
            status = rng.choices(
                (ProfileStatus.PUBLISHED, ProfileStatus.DRAFT, ProfileStatus.WITHDRAWN),
                weights=(92, 5, 3),
            )[0]
            if rng.random() < 0.8:
                location = Location.FINLAND
                city = rng.choices(
                    [c for c, _ in FINNISH_CITIES], weights=[w for _, w in FINNISH_CITIES]
                )[0]
                remote = rng.random() < 0.85
            else:
                location, city, remote = Location.ABROAD, rng.choice(ABROAD_CITIES), True
            if origin is FINNISH:
                swedish = rng.random() < (0.85 if name.split()[-1] in SWEDISH_SURNAMES else 0.15)
                third = rng.choice(THIRD_LANGUAGES) if rng.random() < 0.2 else None
                english = "en" if rng.random() < 0.96 else None
                languages = self._langs("fi", english, "sv" if swedish else None, third)
            else:
                also_finnish = "fi" if rng.random() < 0.15 else None
                languages = self._langs("en", origin.language, also_finnish)
            levels = frozenset(
                {DegreeLevel.MASTERS, DegreeLevel.DOCTORAL}
                if doctorate or rng.random() < 0.18
                else {DegreeLevel.MASTERS}
            )
        main_field = self.field_names[field_ids[0]]
        school = self.field_school[field_ids[0]]
        masters, doctor = FIELD_DEGREES.get(main_field, DEGREES.get(school, DEGREES[SCIENCE]))
        graduated = self.year - years - rng.randint(0, 1)
        education = f"{masters} in {main_field}, {graduated}."
        if doctorate:
            education += f" {doctor} in {main_field}, {graduated + rng.randint(4, 6)}."
        headline, professional, career = self._story(
            school if school in TITLES else SCIENCE, years, city, demo
        )
        age = years + rng.randint(24, 30)
        born = date(self.year - age, 1, 1) + timedelta(days=rng.randint(0, 364))
        created = moment(rng, self.signup_opens, min(self.now, self.requests_open))
        updated = min(self.now, created + timedelta(minutes=rng.randint(0, 3 * 24 * 60)))
        self.mentors.append(
            DemoMentor(
                subject=subject,
                status=status,
                capacity=capacity,
                levels=levels,
                languages=languages,
                fields=field_ids,
                profile={
                    "display_name": name,
                    "headline": headline[:200],
                    "educational_background": education,
                    "professional_background": professional,
                    "career_experience": career,
                    "working_life_years": years,
                    "has_doctorate": doctorate,
                    "location": location,
                    "city": city,
                    "remote_ok": remote,
                    "capacity": capacity,
                    "contact_email": email,
                    "date_of_birth": born,
                },
                created=created,
                updated=updated,
                demo=demo,
            )
        )

    def _story(self, school: str, years: int, city: str, demo: bool) -> tuple[str, str, str]:
        rng = self.rng
        junior, mid, senior = TITLES[school]
        if demo:
            title, employer = "Engineering Manager", "a Helsinki fintech"
        else:
            title = rng.choice(junior if years < 8 else mid if years < 17 else senior)
            employer = rng.choice(EMPLOYERS[school]).format(city=city)
        earlier = rng.choice(junior)
        earlier_employer = rng.choice(EMPLOYERS[school]).format(city="Helsinki")
        topic = "payment platforms" if demo else rng.choice(TOPICS[school])
        headline = f"{title} at {employer}"
        professional = rng.choice(
            (
                f"I work as {as_title(title)} at {employer}, where I lead a team of "
                f"{rng.randint(3, 25)} working on {topic}. Before that I was "
                f"{as_title(earlier)} at {earlier_employer}.",
                f"{title} at {employer}. My day-to-day is {topic}: planning, hiring and making "
                f"sure the work actually ships.",
                f"Currently {as_title(title)} at {employer}, responsible for {topic}. "
                f"I started my career as {as_title(earlier)} at {earlier_employer}.",
            )
        )
        first_help, second_help = rng.sample(HELP, 2)
        direction = "leadership" if years >= 10 else "specialist work"
        career = rng.choice(
            (
                f"{years} years of working life, starting as {as_title(earlier)} and "
                f"moving step by step into {direction}. I can help with {first_help} and "
                f"{second_help}.",
                f"I have worked for {years} years, in Finland and abroad, on {topic}. "
                f"Happy to talk about {first_help}, {second_help} or anything else on your mind.",
                f"Over {years} years I have changed jobs {rng.randint(1, 5)} times and learnt "
                f"most from the mistakes. Ask me about {first_help} and {second_help}.",
            )
        )
        return headline, professional, career

    def _student(self, n: int) -> None:
        rng = self.rng
        international = rng.random() < 0.5
        origin = pick_origin(rng) if international else FINNISH
        name = random_name(rng, origin)
        level = DegreeLevel.DOCTORAL if rng.random() < 0.15 else DegreeLevel.MASTERS
        if international:
            languages = self._langs("en", origin.language, "fi" if rng.random() < 0.1 else None)
        else:
            swedish = "sv" if rng.random() < 0.1 else None
            third = rng.choice(THIRD_LANGUAGES) if rng.random() < 0.15 else None
            english = "en" if rng.random() < 0.95 else None
            languages = self._langs("fi", english, swedish, third)
        self.students.append(
            DemoStudent(
                subject=f"student-{n}",
                name=name,
                email=email_for(name, n, "students.example.edu"),
                level=level,
                field_id=rng.choice(self.fields)[0],
                languages=languages,
                international=international,
                on_exchange=international and rng.random() < 0.1,
            )
        )
