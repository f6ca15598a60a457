"""Demo data: a live-looking programme with plausible mentors, students, requests and matches.

Everything is generated in Python from one seeded ``random.Random`` and written with SQLAlchemy
Core ``executemany`` in chunks, so tens of thousands of profiles take seconds on PostgreSQL. Ids
are chosen up front (from the sequences on PostgreSQL, after ``MAX(id)`` on SQLite, which holds
the write lock for the whole transaction) so that related rows can reference each other without
reading anything back.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from db.models import (
    Base,
    DegreeLevel,
    Event,
    Field,
    Language,
    Location,
    Phase,
    ProfileStatus,
    Programme,
    ProgrammePhase,
    RequestStatus,
    Role,
)

DEMO_SUBJECTS: Final[dict[str, str]] = {
    "student": "demo-student",
    "mentor": "demo-mentor",
    "coordinator": "demo-coordinator",
}


@dataclass(frozen=True)
class SeedSummary:
    programme_id: int
    mentors: int
    students: int
    requests: int
    matches: int


# --------------------------------------------------------------------------------------------
# The catalogue
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# People
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Origin:
    language: str | None  # a catalogue language besides English, if any
    male: tuple[str, ...]
    female: tuple[str, ...]
    surnames: tuple[str, ...]
    feminine_suffix: str = ""  # Russian surnames take "-a" for women


# fmt: off
FINNISH = _Origin(
    "fi",
    male=(
        "Mikko", "Juha", "Matti", "Timo", "Jussi", "Antti", "Pekka", "Sami", "Jari", "Ville",
        "Tuomas", "Janne", "Markku", "Petri", "Eero", "Lauri", "Oskari", "Aleksi", "Eetu", "Otto",
        "Joonas", "Teemu", "Kalle", "Henrik", "Risto", "Arto", "Kimmo", "Olli", "Väinö", "Onni",
        "Heikki", "Ari", "Jyrki", "Mika", "Tapio",
    ),
    female=(
        "Aino", "Laura", "Anna", "Sanna", "Elina", "Hanna", "Johanna", "Katja", "Riikka", "Päivi",
        "Satu", "Heidi", "Tiina", "Minna", "Kaisa", "Veera", "Emilia", "Iida", "Noora", "Pihla",
        "Saara", "Outi", "Marjut", "Sirpa", "Tuula", "Jenni", "Maija", "Essi", "Ilona", "Venla",
        "Krista", "Säde", "Helmi", "Annika", "Mervi",
    ),
    surnames=(
        "Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine",
        "Heikkinen", "Koskinen", "Järvinen", "Lehtonen", "Lehtinen", "Saarinen", "Salminen",
        "Heinonen", "Niemi", "Heikkilä", "Kinnunen", "Salonen", "Turunen", "Salo", "Laitinen",
        "Tuominen", "Rantanen", "Karjalainen", "Jokinen", "Mattila", "Savolainen", "Lahtinen",
        "Ahonen", "Hiltunen", "Leinonen", "Miettinen", "Pelkonen", "Hirvonen", "Räsänen",
        "Väisänen", "Kettunen", "Pesonen", "Manninen", "Peltonen", "Aaltonen", "Anttila",
        "Koivisto", "Kärkkäinen", "Tikkanen", "Rautio", "Hakala", "Kallio", "Pulkkinen",
        "Ylönen", "Pöyhönen", "Lindholm", "Lindqvist", "Nyström", "Eriksson", "Söderberg",
        "Öhman", "Lindroos", "Österberg", "Sjöberg",
    ),
)
# Surnames of Swedish-speaking Finns, who mostly also mentor in Swedish.
SWEDISH_SURNAMES: Final = frozenset(
    {"Lindholm", "Lindqvist", "Nyström", "Eriksson", "Söderberg", "Öhman", "Lindroos",
     "Österberg", "Sjöberg"}
)

INTERNATIONAL: Final[dict[str, tuple[_Origin, int]]] = {
    "indian": (
        _Origin(
            "hi",
            ("Arjun", "Rahul", "Vikram", "Rohan", "Aditya", "Karthik", "Siddharth", "Nikhil"),
            ("Priya", "Ananya", "Deepika", "Sneha", "Kavya", "Aishwarya", "Meera", "Pooja"),
            ("Sharma", "Patel", "Gupta", "Iyer", "Reddy", "Nair", "Singh", "Kumar", "Mehta",
             "Rao", "Krishnan", "Banerjee"),
        ),
        18,
    ),
    "chinese": (
        _Origin(
            "zh",
            ("Wei", "Hao", "Jun", "Lei", "Chen", "Yang", "Zhiwei", "Tao"),
            ("Jing", "Mei", "Ying", "Xiaoli", "Yan", "Lin", "Xue", "Hui"),
            ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu",
             "Sun"),
        ),
        16,
    ),
    "vietnamese": (
        _Origin(
            None,
            ("Minh", "Tuan", "Duc", "Quang", "Hieu", "Long", "Nam", "Khoa"),
            ("Linh", "Huong", "Anh", "Thao", "Lan", "Mai", "Trang", "Ngoc"),
            ("Nguyen", "Tran", "Le", "Pham", "Hoang", "Vu", "Dang", "Bui", "Do", "Ngo"),
        ),
        8,
    ),
    "iranian": (
        _Origin(
            None,
            ("Ali", "Reza", "Hossein", "Amir", "Mohammad", "Arash", "Babak", "Kian"),
            ("Sara", "Maryam", "Zahra", "Fatemeh", "Niloufar", "Shirin", "Parisa", "Leila"),
            ("Hosseini", "Ahmadi", "Karimi", "Rezaei", "Moradi", "Mohammadi", "Jafari", "Rahimi",
             "Hashemi", "Ghorbani"),
        ),
        8,
    ),
    "nigerian": (
        _Origin(
            None,
            ("Chinedu", "Oluwaseun", "Emeka", "Ifeanyi", "Babajide", "Tunde", "Obinna", "Kelechi"),
            ("Ngozi", "Adaeze", "Funmilayo", "Temitope", "Chiamaka", "Yetunde", "Amaka", "Bisola"),
            ("Okafor", "Adeyemi", "Okonkwo", "Eze", "Balogun", "Nwosu", "Olawale", "Obi",
             "Adebayo", "Uchenna"),
        ),
        6,
    ),
    "german": (
        _Origin(
            "de",
            ("Lukas", "Felix", "Jonas", "Maximilian", "Tobias", "Florian", "Niklas", "Sebastian"),
            ("Anna", "Lena", "Sophie", "Katharina", "Julia", "Hannah", "Lea", "Johanna"),
            ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Wagner", "Becker", "Hoffmann",
             "Schäfer", "Koch", "Krüger", "Größer"),
        ),
        7,
    ),
    "spanish": (
        _Origin(
            "es",
            ("Alejandro", "Javier", "Carlos", "Pablo", "Diego", "Sergio", "Álvaro", "Manuel"),
            ("Lucía", "María", "Sofía", "Elena", "Carmen", "Paula", "Marta", "Irene"),
            ("García", "Fernández", "López", "Martínez", "Sánchez", "Pérez", "Gómez", "Ruiz",
             "Díaz", "Moreno"),
        ),
        6,
    ),
    "brazilian": (
        _Origin(
            "pt",
            ("João", "Gabriel", "Lucas", "Rafael", "Thiago", "Pedro", "Mateus", "Felipe"),
            ("Ana", "Beatriz", "Mariana", "Larissa", "Camila", "Juliana", "Fernanda", "Letícia"),
            ("Silva", "Santos", "Oliveira", "Souza", "Costa", "Ferreira", "Almeida", "Carvalho",
             "Ribeiro", "Rodrigues"),
        ),
        5,
    ),
    "russian": (
        _Origin(
            "ru",
            ("Dmitri", "Alexei", "Ivan", "Sergei", "Mikhail", "Andrei", "Pavel", "Nikolai"),
            ("Anastasia", "Ekaterina", "Olga", "Natalia", "Yulia", "Maria", "Daria", "Irina"),
            ("Petrov", "Smirnov", "Kuznetsov", "Popov", "Sokolov", "Volkov", "Morozov", "Lebedev",
             "Novikov", "Orlov"),
            feminine_suffix="a",
        ),
        6,
    ),
    "estonian": (
        _Origin(
            "et",
            ("Kristjan", "Mart", "Andres", "Tõnu", "Rasmus", "Siim", "Priit", "Margus"),
            ("Triin", "Kadri", "Liis", "Mari", "Kertu", "Kätlin", "Piret", "Merilin"),
            ("Tamm", "Saar", "Sepp", "Mägi", "Kask", "Kukk", "Rebane", "Ilves", "Pärn", "Koppel"),
        ),
        4,
    ),
    "french": (
        _Origin(
            "fr",
            ("Louis", "Hugo", "Antoine", "Julien", "Mathieu", "Théo", "Nicolas", "Baptiste"),
            ("Camille", "Chloé", "Léa", "Manon", "Inès", "Claire", "Élodie", "Margaux"),
            ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
             "Leroy", "Moreau", "Lefèvre"),
        ),
        5,
    ),
    "italian": (
        _Origin(
            "it",
            ("Marco", "Luca", "Matteo", "Alessandro", "Davide", "Lorenzo", "Andrea", "Stefano"),
            ("Giulia", "Chiara", "Francesca", "Sara", "Elisa", "Martina", "Valentina", "Alessia"),
            ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci",
             "Marino", "Greco"),
        ),
        5,
    ),
    "japanese": (
        _Origin(
            "ja",
            ("Haruto", "Sota", "Ren", "Takumi", "Kenji", "Daiki", "Yuto", "Hiroshi"),
            ("Yui", "Aoi", "Sakura", "Hina", "Yuki", "Haruka", "Misaki", "Akiko"),
            ("Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura",
             "Kobayashi", "Kato"),
        ),
        3,
    ),
    "arab": (
        _Origin(
            "ar",
            ("Omar", "Youssef", "Khaled", "Tariq", "Karim", "Ahmed", "Hassan", "Samir"),
            ("Layla", "Nour", "Rania", "Amira", "Huda", "Yasmin", "Salma", "Dina"),
            ("Haddad", "Mansour", "Khalil", "Nasser", "Saleh", "Hamdan", "Aziz", "Farouk",
             "Ibrahim", "Darwish"),
        ),
        4,
    ),
    "swedish": (
        _Origin(
            "sv",
            ("Erik", "Johan", "Oskar", "Gustav", "Anders", "Fredrik", "Axel", "Magnus"),
            ("Emma", "Elin", "Ebba", "Karin", "Maja", "Linnéa", "Sofia", "Ingrid"),
            ("Andersson", "Johansson", "Karlsson", "Nilsson", "Larsson", "Berglund", "Åberg",
             "Lundström", "Ekström", "Sjögren"),
        ),
        4,
    ),
}
_ORIGINS: Final = tuple(origin for origin, _ in INTERNATIONAL.values())
_ORIGIN_WEIGHTS: Final = tuple(weight for _, weight in INTERNATIONAL.values())
_THIRD_LANGUAGES: Final = ("de", "fr", "es", "ru", "et", "ja", "it", "zh", "pt")

FINNISH_CITIES: Final = (("Helsinki", 45), ("Espoo", 25), ("Tampere", 12), ("Turku", 10),
                         ("Oulu", 8))
ABROAD_CITIES: Final = ("Stockholm", "Berlin", "London", "Zürich", "Singapore", "San Francisco",
                        "Amsterdam")

DEGREES: Final[dict[str, tuple[str, str]]] = {
    ENGINEERING: ("M.Sc. (Tech.)", "D.Sc. (Tech.)"),
    ELECTRICAL: ("M.Sc. (Tech.)", "D.Sc. (Tech.)"),
    SCIENCE: ("M.Sc. (Tech.)", "D.Sc. (Tech.)"),
    CHEMICAL: ("M.Sc. (Tech.)", "D.Sc. (Tech.)"),
    BUSINESS: ("M.Sc. (Econ. & Bus. Adm.)", "D.Sc. (Econ. & Bus. Adm.)"),
    ARTS: ("M.A. (Art and Design)", "D.A. (Art and Design)"),
}
FIELD_DEGREES: Final[dict[str, tuple[str, str]]] = {
    "Architecture": ("M.Sc. (Arch.)", "D.Sc. (Tech.)"),
    "Landscape Architecture": ("M.Sc. (Landscape Arch.)", "D.Sc. (Tech.)"),
}

# (junior, mid-career, senior) job titles by school
TITLES: Final[dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]]] = {
    ENGINEERING: (
        ("Structural Engineer", "Design Engineer", "Project Engineer", "Energy Analyst"),
        ("Senior Structural Engineer", "Project Manager", "Lead Mechanical Engineer",
         "R&D Manager", "Energy Systems Specialist"),
        ("Head of Engineering", "Director of Operations", "VP, Product Development",
         "Technical Director"),
    ),
    ELECTRICAL: (
        ("Hardware Engineer", "Embedded Software Engineer", "Radio Systems Engineer",
         "Automation Engineer"),
        ("Senior RF Engineer", "System Architect", "Engineering Manager",
         "Lead Hardware Designer"),
        ("CTO", "Director of R&D", "Chief Architect", "Head of Network Strategy"),
    ),
    SCIENCE: (
        ("Software Engineer", "Data Scientist", "Quantitative Analyst", "Research Engineer",
         "Business Analyst"),
        ("Senior Data Scientist", "Staff Software Engineer", "Engineering Manager",
         "Machine Learning Lead", "Product Manager", "Senior Consultant"),
        ("CTO", "VP of Engineering", "Head of Data", "Chief Scientist", "Partner"),
    ),
    CHEMICAL: (
        ("Process Engineer", "Research Scientist", "Quality Engineer", "Materials Engineer"),
        ("R&D Manager", "Senior Process Engineer", "Product Development Manager",
         "Sustainability Manager"),
        ("Director of Research", "Head of Sustainability", "VP, Technology", "Mill Manager"),
    ),
    BUSINESS: (
        ("Financial Analyst", "Auditor", "Marketing Specialist", "Business Analyst",
         "Consultant"),
        ("Senior Consultant", "Marketing Manager", "Financial Controller", "Portfolio Manager",
         "Product Marketing Lead"),
        ("CFO", "Partner", "Head of Marketing", "Managing Director", "Chief Economist"),
    ),
    ARTS: (
        ("Architect", "Service Designer", "UX Designer", "Producer", "Fashion Designer"),
        ("Senior Designer", "Project Architect", "Design Lead", "Creative Producer"),
        ("Design Director", "Partner Architect", "Creative Director", "Head of Design"),
    ),
}

EMPLOYERS: Final[dict[str, tuple[str, ...]]] = {
    ENGINEERING: ("a Nordic construction group", "a global engineering consultancy",
                  "a {city} energy company", "a machinery manufacturer",
                  "a wind power developer", "a rail infrastructure company"),
    ELECTRICAL: ("a global telecoms equipment maker", "a {city} semiconductor startup",
                 "a mobile network operator", "an industrial automation company",
                 "a power grid operator"),
    SCIENCE: ("a {city} fintech", "a health-tech scale-up", "a game studio",
              "a cloud software company", "a quantum computing startup",
              "a management consultancy", "a public research institute",
              "an e-commerce platform"),
    CHEMICAL: ("a listed forest-industry group", "a battery materials startup",
               "a specialty chemicals company", "a biorefinery", "a pharmaceutical company"),
    BUSINESS: ("a Big Four accounting firm", "an international bank", "a {city} investment firm",
               "a consumer goods company", "a strategy consultancy", "a retail group",
               "a SaaS scale-up", "a pension insurance company"),
    ARTS: ("an architecture office in {city}", "a {city} design agency",
           "a public broadcaster", "a furniture brand", "a film production company",
           "a city planning department", "a fashion house", "a design museum"),
}

TOPICS: Final[dict[str, tuple[str, ...]]] = {
    ENGINEERING: ("low-carbon building projects", "district heating systems",
                  "product development for heavy machinery", "offshore wind farms",
                  "urban infrastructure"),
    ELECTRICAL: ("5G radio networks", "power electronics", "factory automation",
                 "chip design", "smart grids"),
    SCIENCE: ("machine learning in production", "payment platforms", "cloud infrastructure",
              "risk models", "digital health products", "supply-chain optimisation"),
    CHEMICAL: ("recyclable packaging materials", "battery chemistry", "wood-based textiles",
               "process safety", "circular-economy products"),
    BUSINESS: ("corporate finance", "brand strategy", "growth marketing",
               "audits of listed companies", "sustainable investing",
               "pricing and business models"),
    ARTS: ("public buildings", "service design for the public sector", "documentary films",
           "sustainable fashion", "digital products", "urban green spaces"),
}

HELP: Final = (
    "career planning", "the job search in Finland", "moving from academia to industry",
    "salary negotiations", "building a professional network", "finding a thesis position",
    "starting a company", "working abroad", "first steps as a manager", "work-life balance",
    "switching careers", "consulting as a career",
)

REJECTION_REASONS: Final = (
    "I'm travelling a lot this spring and can't commit to monthly meetings.",
    "I think a mentor closer to your field would help you more.",
    "I already mentor someone with a very similar background.",
    "My experience is mostly outside the area you'd like to work in.",
    "I'm sorry, my schedule changed and I can't take a mentee right now.",
)

MESSAGES: Final = (
    "Hi! I'm a {level} student in {field} and I'd love to hear how you built your career.",
    "Hello, your background sounds very close to what I hope to do after graduation. "
    "Would you be my mentor this year?",
    "I'm especially interested in {help}, and your profile stood out. I'd be grateful for "
    "your guidance.",
    "Hi, I'm studying {field} and thinking about my next steps. Could we meet once a month?",
)

# fmt: on


def _ascii(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    kept = "".join(c for c in decomposed if c.isascii() and (c.isalnum() or c == "-"))
    return kept.lower()


def _email(name: str, number: int | None, domain: str) -> str:
    first, _, last = name.partition(" ")
    suffix = "" if number is None else str(number)
    return f"{_ascii(first)}.{_ascii(last)}{suffix}@{domain}"


_NO_ARTICLE: Final = ("Head of", "CTO", "CFO", "VP", "Chief", "Director", "Managing Director")


def _as(title: str) -> str:
    """A job title as it reads after "as" or "was": "a Data Scientist", "Head of Data"."""
    if title.startswith(_NO_ARTICLE):
        return title
    return f"an {title}" if title[0] in "AEIO" or title.startswith("R&D") else f"a {title}"


def _name(rng: random.Random, origin: _Origin) -> str:
    female = rng.random() < 0.5
    first = rng.choice(origin.female if female else origin.male)
    last = rng.choice(origin.surnames)
    if female and origin.feminine_suffix:
        last += origin.feminine_suffix
    return f"{first} {last}"


def _pick_origin(rng: random.Random) -> _Origin:
    return rng.choices(_ORIGINS, weights=_ORIGIN_WEIGHTS)[0]


def _moment(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A random moment in [start, end], to the second."""
    span = max(0, int((end - start).total_seconds()))
    return start + timedelta(seconds=rng.randint(0, span))


# --------------------------------------------------------------------------------------------
# The in-memory model of what gets written
# --------------------------------------------------------------------------------------------


@dataclass(slots=True, eq=False)
class _Mentor:
    id: int
    status: ProfileStatus
    capacity: int
    levels: frozenset[DegreeLevel]
    languages: tuple[str, ...]
    fields: tuple[int, ...]
    row: dict[str, Any]
    accepted: int = 0
    pending: int = 0
    filled_at: datetime | None = None  # the last acceptance; when it filled up, if full
    demo: bool = False

    def is_open(self) -> bool:
        return self.status is ProfileStatus.PUBLISHED and self.accepted < self.capacity

    def can_take_request(self) -> bool:
        return self.is_open() and self.pending < 2


@dataclass(slots=True, eq=False)
class _Student:
    id: int
    subject: str
    name: str
    email: str
    level: DegreeLevel
    field_id: int
    languages: tuple[str, ...]
    international: bool
    on_exchange: bool
    demo: bool = False
    pending: int = 0
    matched: bool = False
    current_mentor: int | None = None  # the mentor of its pending or accepted request
    current_since: datetime | None = None
    first_request_at: datetime | None = None


@dataclass(slots=True)
class _Rows:
    users: list[dict[str, Any]] = field(default_factory=list)
    mentors: list[dict[str, Any]] = field(default_factory=list)
    mentor_languages: list[dict[str, Any]] = field(default_factory=list)
    mentor_fields: list[dict[str, Any]] = field(default_factory=list)
    mentor_levels: list[dict[str, Any]] = field(default_factory=list)
    students: list[dict[str, Any]] = field(default_factory=list)
    student_languages: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    matches: list[dict[str, Any]] = field(default_factory=list)


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


CHUNK: Final = 5_000


async def _insert(conn: AsyncConnection, table: str, rows: Sequence[dict[str, Any]]) -> None:
    statement = insert(_table(table))
    for start in range(0, len(rows), CHUNK):
        await conn.execute(statement, list(rows[start : start + CHUNK]))


class _Ids:
    """Hands out primary keys without asking the database row by row."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"

    async def take(self, table: str, count: int) -> list[int]:
        if count == 0:
            return []
        if self.postgres:
            result = await self.conn.execute(
                text(
                    "SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"
                ),
                {"t": table, "n": count},
            )
            return sorted(int(value) for value in result.scalars())
        top = await self.conn.scalar(select(func.max(_table(table).c.id)))
        first = int(top or 0) + 1
        return list(range(first, first + count))


class _Progress:
    def __init__(self, enabled: bool, stages: int) -> None:
        self.enabled = enabled
        self.stages = stages
        self._progress: Progress | None = None
        self._task: Any = None

    @contextmanager
    def running(self) -> Iterator[_Progress]:
        if not self.enabled:
            yield self
            return
        with Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), TimeElapsedColumn()
        ) as progress:
            self._progress = progress
            self._task = progress.add_task("Seeding demo data", total=self.stages)
            yield self
            progress.update(self._task, description="Demo data ready")

    def stage(self, description: str) -> None:
        if self._progress is not None:
            self._progress.update(self._task, description=description)

    def done(self) -> None:
        if self._progress is not None:
            self._progress.advance(self._task)


# --------------------------------------------------------------------------------------------
# Seeding
# --------------------------------------------------------------------------------------------

HELSINKI: Final = ZoneInfo("Europe/Helsinki")
PHASES: Final = (
    (Phase.MENTOR_SIGNUP, -10, 20),
    (Phase.STUDENT_REQUESTS, -3, 20),
    (Phase.BRIEFINGS, 21, 28),
    (Phase.PROGRAMME, 21, 200),
    (Phase.HALFWAY_SURVEY, 110, 124),
    (Phase.FINAL_SURVEY, 190, 210),
)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), HELSINKI).astimezone(UTC)


async def seed(
    sessions: async_sessionmaker[AsyncSession],
    *,
    mentors: int = 300,
    students: int = 900,
    now: datetime,
    progress: bool = False,
    seed: int = 2025,
) -> SeedSummary:
    """Create one demo programme, "Mentoring {year}", in a single transaction.

    It holds ``mentors`` generated mentors plus the demo mentor, ``students`` generated students
    plus the demo student, the demo coordinator, and requests and matches whose counters agree.
    Users whose subject already exists are reused. Raises ValueError if the programme exists.
    """

    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if mentors < 1 or students < 1:
        raise ValueError("seed at least one mentor and one student")
    now = now.astimezone(UTC).replace(microsecond=0)
    today = now.astimezone(HELSINKI).date()
    name = f"Mentoring {today.year}"
    bar = _Progress(progress, stages=6)

    with bar.running():
        async with sessions() as session, session.begin():
            bar.stage("Preparing the programme")
            if await session.scalar(select(Programme.id).where(Programme.name == name)):
                raise ValueError(f"a programme named {name!r} already exists")
            await ensure_catalogue(session)
            field_rows = (await session.execute(select(Field.id, Field.name, Field.school))).all()
            known_languages = set((await session.scalars(select(Language.code))).all())
            programme = Programme(
                name=name,
                timezone="Europe/Helsinki",
                student_pending_limit=1,
                mentor_pending_limit=2,
                request_expiry_hours=72,
                reminder_hours_before_expiry=24,
                event_seq=0,
                created_at=_midnight(today - timedelta(days=30)) + timedelta(hours=9),
            )
            session.add(programme)
            await session.flush()
            pid = programme.id
            session.add_all(
                ProgrammePhase(
                    programme_id=pid,
                    phase=phase,
                    opens_on=today + timedelta(days=opens),
                    closes_on=today + timedelta(days=closes),
                )
                for phase, opens, closes in PHASES
            )
            await session.flush()
            conn = await session.connection()
            bar.done()

            bar.stage("Generating people")
            subjects = _subjects(mentors, students)
            existing = await _existing_users(conn, subjects)
            ids = _Ids(conn)
            builder = _Builder(
                rng=random.Random(seed),
                now=now,
                programme_id=pid,
                signup_opens=_midnight(today - timedelta(days=10)),
                requests_open=_midnight(today - timedelta(days=3)),
                fields=[(int(r.id), str(r.name), str(r.school)) for r in field_rows],
                languages=known_languages,
                existing=existing,
                user_ids=await ids.take("users", sum(s not in existing for s in subjects)),
            )
            builder.people(
                mentors,
                students,
                iter(await ids.take("mentor_profiles", mentors + 1)),
                iter(await ids.take("student_profiles", students + 1)),
            )
            bar.done()

            bar.stage("Generating requests and matches")
            builder.activity()
            rows = builder.finish()
            request_ids = await ids.take("requests", len(rows.requests))
            for request_id, request in zip(request_ids, rows.requests, strict=True):
                request["id"] = request_id
            match_ids = await ids.take("matches", len(rows.matches))
            for match_id, match in zip(match_ids, rows.matches, strict=True):
                match["id"] = match_id
                match["request_id"] = match.pop("request")["id"]
            bar.done()

            bar.stage(f"Writing {len(rows.users):,} users")
            await _insert(conn, "users", rows.users)
            bar.done()

            bar.stage(f"Writing {len(rows.mentors) + len(rows.students):,} profiles")
            await _insert(conn, "mentor_profiles", rows.mentors)
            await _insert(conn, "mentor_languages", rows.mentor_languages)
            await _insert(conn, "mentor_fields", rows.mentor_fields)
            await _insert(conn, "mentor_degree_levels", rows.mentor_levels)
            await _insert(conn, "student_profiles", rows.students)
            await _insert(conn, "student_languages", rows.student_languages)
            bar.done()

            bar.stage(f"Writing {len(rows.requests):,} requests")
            await _insert(conn, "requests", rows.requests)
            await _insert(conn, "matches", rows.matches)
            session.add(
                Event(
                    programme_id=pid,
                    seq=1,
                    kind="PROGRAMME_CHANGED",
                    payload={"programmeId": pid},
                    created_at=now,
                )
            )
            programme.event_seq = 1
            await session.flush()
            bar.done()

    return SeedSummary(
        programme_id=pid,
        mentors=len(rows.mentors),
        students=len(rows.students),
        requests=len(rows.requests),
        matches=len(rows.matches),
    )


def _subjects(mentors: int, students: int) -> list[str]:
    return [
        *DEMO_SUBJECTS.values(),
        *(f"mentor-{n}" for n in range(1, mentors + 1)),
        *(f"student-{n}" for n in range(1, students + 1)),
    ]


async def _existing_users(conn: AsyncConnection, subjects: Sequence[str]) -> dict[str, int]:
    """Users that already exist (say, from last year's demo) are reused, not duplicated."""

    users = _table("users")
    if await conn.scalar(select(users.c.id).limit(1)) is None:
        return {}
    found: dict[str, int] = {}
    for start in range(0, len(subjects), 1_000):
        chunk = subjects[start : start + 1_000]
        result = await conn.execute(
            select(users.c.subject, users.c.id).where(users.c.subject.in_(chunk))
        )
        found.update({str(subject): int(user_id) for subject, user_id in result.all()})
    return found


class _Builder:
    """Generates every row in memory; only ``seed`` talks to the database."""

    def __init__(
        self,
        *,
        rng: random.Random,
        now: datetime,
        programme_id: int,
        signup_opens: datetime,
        requests_open: datetime,
        fields: list[tuple[int, str, str]],
        languages: set[str],
        existing: dict[str, int],
        user_ids: list[int],
    ) -> None:
        self.rng = rng
        self.now = now
        self.pid = programme_id
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
        self.existing = existing
        self.user_ids = iter(user_ids)
        self.rows = _Rows()
        self.mentors: list[_Mentor] = []
        self.students: list[_Student] = []
        self.year = now.astimezone(HELSINKI).year

    # ---- users and profiles ----------------------------------------------------------------

    def _user(self, subject: str, role: Role, name: str, email: str, created_at: datetime) -> int:
        if subject in self.existing:
            return self.existing[subject]
        user_id = next(self.user_ids)
        self.rows.users.append(
            {
                "id": user_id,
                "subject": subject,
                "role": role,
                "name": name,
                "email": email,
                "created_at": created_at,
            }
        )
        return user_id

    def _langs(self, *codes: str | None) -> tuple[str, ...]:
        seen: list[str] = []
        for code in codes:
            if code and code in self.languages and code not in seen:
                seen.append(code)
        return tuple(seen) or ("en",)

    def people(
        self, mentors: int, students: int, mentor_ids: Iterator[int], student_ids: Iterator[int]
    ) -> None:
        rng = self.rng
        self._user(
            DEMO_SUBJECTS["coordinator"],
            Role.COORDINATOR,
            "Helmi Lehtonen",
            "helmi.lehtonen@example.edu",
            self.signup_opens - timedelta(days=20),
        )
        self._mentor(
            next(mentor_ids),
            DEMO_SUBJECTS["mentor"],
            "Antti Salminen",
            "antti.salminen@example.com",
            FINNISH,
            demo=True,
        )
        for n in range(1, mentors + 1):
            origin = FINNISH if rng.random() < 0.7 else _pick_origin(rng)
            name = _name(rng, origin)
            self._mentor(
                next(mentor_ids), f"mentor-{n}", name, _email(name, n, "example.com"), origin
            )
        self.students.append(
            _Student(
                id=next(student_ids),
                subject=DEMO_SUBJECTS["student"],
                name="Priya Sharma",
                email="priya.sharma@students.example.edu",
                level=DegreeLevel.MASTERS,
                field_id=self.field_by_name.get("Computer Science", self.fields[0][0]),
                languages=self._langs("en"),
                international=True,
                on_exchange=False,
                demo=True,
            )
        )
        for n in range(1, students + 1):
            self._student(next(student_ids), n)

    def _mentor(
        self,
        mentor_id: int,
        subject: str,
        name: str,
        email: str,
        origin: _Origin,
        *,
        demo: bool = False,
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
            years = min(35, 4 + int(rng.betavariate(1.6, 2.6) * 32))
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
                third = rng.choice(_THIRD_LANGUAGES) if rng.random() < 0.2 else None
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
        created = _moment(rng, self.signup_opens, min(self.now, self.requests_open))
        updated = min(self.now, created + timedelta(minutes=rng.randint(0, 3 * 24 * 60)))
        row: dict[str, Any] = {
            "id": mentor_id,
            "programme_id": self.pid,
            "user_id": self._user(subject, Role.MENTOR, name, email, created),
            "status": status,
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
            "accepted_count": 0,
            "pending_count": 0,
            "created_at": created,
            "updated_at": updated,
        }
        self.mentors.append(
            _Mentor(
                id=mentor_id,
                status=status,
                capacity=capacity,
                levels=levels,
                languages=languages,
                fields=field_ids,
                row=row,
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
                f"I work as {_as(title)} at {employer}, where I lead a team of "
                f"{rng.randint(3, 25)} working on {topic}. Before that I was "
                f"{_as(earlier)} at {earlier_employer}.",
                f"{title} at {employer}. My day-to-day is {topic}: planning, hiring and making "
                f"sure the work actually ships.",
                f"Currently {_as(title)} at {employer}, responsible for {topic}. "
                f"I started my career as {_as(earlier)} at {earlier_employer}.",
            )
        )
        first_help, second_help = rng.sample(HELP, 2)
        direction = "leadership" if years >= 10 else "specialist work"
        career = rng.choice(
            (
                f"{years} years of working life, starting as {_as(earlier)} and "
                f"moving step by step into {direction}. I can help with {first_help} and "
                f"{second_help}.",
                f"I have worked for {years} years, in Finland and abroad, on {topic}. "
                f"Happy to talk about {first_help}, {second_help} or anything else on your mind.",
                f"Over {years} years I have changed jobs {rng.randint(1, 5)} times and learnt "
                f"most from the mistakes. Ask me about {first_help} and {second_help}.",
            )
        )
        return headline, professional, career

    def _student(self, student_id: int, n: int) -> None:
        rng = self.rng
        international = rng.random() < 0.5
        origin = _pick_origin(rng) if international else FINNISH
        name = _name(rng, origin)
        level = DegreeLevel.DOCTORAL if rng.random() < 0.15 else DegreeLevel.MASTERS
        if international:
            languages = self._langs("en", origin.language, "fi" if rng.random() < 0.1 else None)
        else:
            swedish = "sv" if rng.random() < 0.1 else None
            third = rng.choice(_THIRD_LANGUAGES) if rng.random() < 0.15 else None
            english = "en" if rng.random() < 0.95 else None
            languages = self._langs("fi", english, swedish, third)
        self.students.append(
            _Student(
                id=student_id,
                subject=f"student-{n}",
                name=name,
                email=_email(name, n, "students.example.edu"),
                level=level,
                field_id=rng.choice(self.fields)[0],
                languages=languages,
                international=international,
                on_exchange=international and rng.random() < 0.1,
            )
        )

    # ---- requests and matches -------------------------------------------------------------

    def _request(
        self,
        student: _Student,
        mentor: _Mentor,
        status: RequestStatus,
        created: datetime,
        decided: datetime | None,
        reason: str | None = None,
    ) -> dict[str, Any]:
        rng = self.rng
        reminded = None
        if status is RequestStatus.PENDING and self.now - created >= timedelta(hours=48):
            reminded = min(self.now, created + timedelta(hours=48, minutes=rng.randint(0, 20)))
        level = "master's" if student.level is DegreeLevel.MASTERS else "doctoral"
        message = rng.choice(MESSAGES).format(
            level=level, field=self.field_names[student.field_id], help=rng.choice(HELP)
        )
        request: dict[str, Any] = {
            "programme_id": self.pid,
            "student_id": student.id,
            "mentor_id": mentor.id,
            "status": status,
            "message": message,
            "reason": reason,
            "created_at": created,
            "decided_at": decided,
            "reminded_at": reminded,
        }
        self.rows.requests.append(request)
        if student.first_request_at is None or created < student.first_request_at:
            student.first_request_at = created
        if status in (RequestStatus.PENDING, RequestStatus.ACCEPTED):
            student.current_mentor = mentor.id
            student.current_since = created
        return request

    @staticmethod
    def _fits(mentor: _Mentor, student: _Student) -> bool:
        return student.level in mentor.levels and any(
            code in mentor.languages for code in student.languages
        )

    def _find(
        self,
        student: _Student,
        by_field: dict[int, list[_Mentor]],
        everyone: list[_Mentor],
        ok: Callable[[_Mentor], bool],
    ) -> _Mentor | None:
        """A suitable mentor, preferably in the student's field, by random probing."""
        rng = self.rng
        local = by_field.get(student.field_id, [])
        for attempt in range(40):
            pool = local if local and attempt < 12 else everyone
            if not pool:
                return None
            mentor = pool[rng.randrange(len(pool))]
            if ok(mentor) and self._fits(mentor, student):
                return mentor
        return None

    def activity(self) -> None:
        rng = self.rng
        now, opened = self.now, self.requests_open
        published = [m for m in self.mentors if m.status is ProfileStatus.PUBLISHED and not m.demo]
        by_field: dict[int, list[_Mentor]] = {}
        for mentor in published:
            for fid in mentor.fields:
                by_field.setdefault(fid, []).append(mentor)
        seeded = [s for s in self.students if not s.demo]
        order = seeded[:]
        rng.shuffle(order)
        # About a quarter matched, but never so many that mentors run out of room for requests.
        match_target = min(round(len(seeded) * 0.25), int(sum(m.capacity for m in published) * 0.6))
        pending_target = round(len(seeded) * 0.15)

        # Matches first, so that no full mentor is left holding pending requests.
        for student in order:
            if len(self.rows.matches) >= match_target:
                break
            chosen = self._find(student, by_field, published, _Mentor.is_open)
            if chosen is None:
                continue
            created = _moment(rng, opened + timedelta(hours=1), now - timedelta(hours=2))
            latest = min(now - timedelta(minutes=5), created + timedelta(hours=48))
            decided = _moment(rng, created + timedelta(minutes=10), latest)
            request = self._request(student, chosen, RequestStatus.ACCEPTED, created, decided)
            self.rows.matches.append(
                {
                    "programme_id": self.pid,
                    "request": request,
                    "student_id": student.id,
                    "mentor_id": chosen.id,
                    "created_at": decided,
                }
            )
            chosen.accepted += 1
            if chosen.filled_at is None or decided > chosen.filled_at:
                chosen.filled_at = decided  # the last acceptance; meaningful once full
            student.matched = True

        # The demo mentor's inbox: one fresh request, preferably from a computing student.
        demo_mentor = next(m for m in self.mentors if m.demo)
        computing = set(demo_mentor.fields)
        candidates = [s for s in order if s.current_mentor is None and self._fits(demo_mentor, s)]
        candidates.sort(key=lambda s: s.field_id not in computing)  # stable: keeps the shuffle
        pending = 0
        if candidates:
            created = now - timedelta(hours=5, minutes=rng.randint(0, 50))
            self._request(candidates[0], demo_mentor, RequestStatus.PENDING, created, None)
            demo_mentor.pending += 1
            candidates[0].pending = 1
            pending += 1

        # Pending requests: never to a full mentor, never more than two per mentor.
        for student in order:
            if pending >= pending_target:
                break
            if student.current_mentor is not None:
                continue
            chosen = self._find(student, by_field, published, _Mentor.can_take_request)
            if chosen is None:
                continue
            created = max(
                now - timedelta(seconds=rng.randint(60, 70 * 3600)), opened + timedelta(minutes=1)
            )
            self._request(student, chosen, RequestStatus.PENDING, created, None)
            chosen.pending += 1
            student.pending = 1
            pending += 1

        # History: earlier requests, one after another, all over before the current one began.
        full = [m for m in published if not m.is_open()]
        for student in seeded:
            kinds: list[RequestStatus] = []
            if rng.random() < 0.07:
                kinds.append(RequestStatus.REJECTED)
            if rng.random() < 0.04:
                kinds.append(RequestStatus.WITHDRAWN)
            if full and rng.random() < 0.05:
                kinds.append(RequestStatus.CLOSED_MENTOR_FULL)
            if not kinds:
                continue
            rng.shuffle(kinds)
            end = student.current_since or now
            span = (end - opened) / len(kinds)
            if span < timedelta(minutes=30):
                continue
            current = student.current_mentor
            for index, kind in enumerate(kinds):
                start = opened + span * index
                stop = start + span - timedelta(minutes=1)
                if kind is RequestStatus.CLOSED_MENTOR_FULL:
                    closed = self._find_full(student, full, start, stop, current)
                    if closed is None or closed.filled_at is None:
                        continue
                    created = _moment(rng, start, closed.filled_at - timedelta(minutes=1))
                    self._request(
                        student, closed, kind, created, closed.filled_at, "mentor is full"
                    )
                    continue

                def other(mentor: _Mentor, current: int | None = current) -> bool:
                    return mentor.id != current

                earlier = self._find(student, by_field, published, other)
                if earlier is None:
                    continue
                created = _moment(rng, start, start + (stop - start) / 2)
                decided = _moment(rng, created + timedelta(minutes=5), stop)
                reason = rng.choice(REJECTION_REASONS) if kind is RequestStatus.REJECTED else None
                self._request(student, earlier, kind, created, decided, reason)

    def _find_full(
        self,
        student: _Student,
        full: list[_Mentor],
        start: datetime,
        stop: datetime,
        current: int | None,
    ) -> _Mentor | None:
        """A full mentor who filled up within [start, stop], so the request closed then."""
        for _ in range(25):
            mentor = full[self.rng.randrange(len(full))]
            if (
                mentor.id != current
                and mentor.filled_at is not None
                and start + timedelta(minutes=2) <= mentor.filled_at <= stop
                and self._fits(mentor, student)
            ):
                return mentor
        return None

    def finish(self) -> _Rows:
        rng, rows = self.rng, self.rows
        for mentor in self.mentors:
            mentor.row["accepted_count"] = mentor.accepted
            mentor.row["pending_count"] = mentor.pending
            rows.mentors.append(mentor.row)
            rows.mentor_languages.extend(
                {"mentor_id": mentor.id, "language_code": code} for code in mentor.languages
            )
            rows.mentor_fields.extend(
                {"mentor_id": mentor.id, "field_id": fid} for fid in mentor.fields
            )
            rows.mentor_levels.extend(
                {"mentor_id": mentor.id, "degree_level": level} for level in sorted(mentor.levels)
            )
        for student in self.students:
            latest = student.first_request_at or self.now
            created = _moment(rng, self.signup_opens, latest - timedelta(minutes=1))
            rows.students.append(
                {
                    "id": student.id,
                    "programme_id": self.pid,
                    "user_id": self._user(
                        student.subject, Role.STUDENT, student.name, student.email, created
                    ),
                    "display_name": student.name,
                    "degree_level": student.level,
                    "field_id": student.field_id,
                    "international": student.international,
                    "on_exchange": student.on_exchange,
                    "contact_email": student.email,
                    "pending_count": student.pending,
                    "matched": student.matched,
                    "created_at": created,
                    "updated_at": _moment(rng, created, min(latest, created + timedelta(days=2))),
                }
            )
            rows.student_languages.extend(
                {"student_id": student.id, "language_code": code} for code in student.languages
            )
        rows.users.sort(key=lambda user: int(user["id"]))
        rows.requests.sort(key=lambda request: request["created_at"])
        rows.matches.sort(key=lambda match: match["created_at"])
        return rows
