"""The words of the demo: names by origin, cities, degrees, job titles, employers, what mentors
can help with and what students write, and the small functions that pick from them."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from db.demo import ARTS, BUSINESS, CHEMICAL, ELECTRICAL, ENGINEERING, SCIENCE


@dataclass(frozen=True)
class Origin:
    language: str | None  # a catalogue language besides English, if any
    male: tuple[str, ...]
    female: tuple[str, ...]
    surnames: tuple[str, ...]
    feminine_suffix: str = ""  # Russian surnames take "-a" for women


# fmt: off
FINNISH = Origin(
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

INTERNATIONAL: Final[dict[str, tuple[Origin, int]]] = {
    "indian": (
        Origin(
            "hi",
            ("Arjun", "Rahul", "Vikram", "Rohan", "Aditya", "Karthik", "Siddharth", "Nikhil"),
            ("Priya", "Ananya", "Deepika", "Sneha", "Kavya", "Aishwarya", "Meera", "Pooja"),
            ("Sharma", "Patel", "Gupta", "Iyer", "Reddy", "Nair", "Singh", "Kumar", "Mehta",
             "Rao", "Krishnan", "Banerjee"),
        ),
        18,
    ),
    "chinese": (
        Origin(
            "zh",
            ("Wei", "Hao", "Jun", "Lei", "Chen", "Yang", "Zhiwei", "Tao"),
            ("Jing", "Mei", "Ying", "Xiaoli", "Yan", "Lin", "Xue", "Hui"),
            ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu",
             "Sun"),
        ),
        16,
    ),
    "vietnamese": (
        Origin(
            None,
            ("Minh", "Tuan", "Duc", "Quang", "Hieu", "Long", "Nam", "Khoa"),
            ("Linh", "Huong", "Anh", "Thao", "Lan", "Mai", "Trang", "Ngoc"),
            ("Nguyen", "Tran", "Le", "Pham", "Hoang", "Vu", "Dang", "Bui", "Do", "Ngo"),
        ),
        8,
    ),
    "iranian": (
        Origin(
            None,
            ("Ali", "Reza", "Hossein", "Amir", "Mohammad", "Arash", "Babak", "Kian"),
            ("Sara", "Maryam", "Zahra", "Fatemeh", "Niloufar", "Shirin", "Parisa", "Leila"),
            ("Hosseini", "Ahmadi", "Karimi", "Rezaei", "Moradi", "Mohammadi", "Jafari", "Rahimi",
             "Hashemi", "Ghorbani"),
        ),
        8,
    ),
    "nigerian": (
        Origin(
            None,
            ("Chinedu", "Oluwaseun", "Emeka", "Ifeanyi", "Babajide", "Tunde", "Obinna", "Kelechi"),
            ("Ngozi", "Adaeze", "Funmilayo", "Temitope", "Chiamaka", "Yetunde", "Amaka", "Bisola"),
            ("Okafor", "Adeyemi", "Okonkwo", "Eze", "Balogun", "Nwosu", "Olawale", "Obi",
             "Adebayo", "Uchenna"),
        ),
        6,
    ),
    "german": (
        Origin(
            "de",
            ("Lukas", "Felix", "Jonas", "Maximilian", "Tobias", "Florian", "Niklas", "Sebastian"),
            ("Anna", "Lena", "Sophie", "Katharina", "Julia", "Hannah", "Lea", "Johanna"),
            ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Wagner", "Becker", "Hoffmann",
             "Schäfer", "Koch", "Krüger", "Größer"),
        ),
        7,
    ),
    "spanish": (
        Origin(
            "es",
            ("Alejandro", "Javier", "Carlos", "Pablo", "Diego", "Sergio", "Álvaro", "Manuel"),
            ("Lucía", "María", "Sofía", "Elena", "Carmen", "Paula", "Marta", "Irene"),
            ("García", "Fernández", "López", "Martínez", "Sánchez", "Pérez", "Gómez", "Ruiz",
             "Díaz", "Moreno"),
        ),
        6,
    ),
    "brazilian": (
        Origin(
            "pt",
            ("João", "Gabriel", "Lucas", "Rafael", "Thiago", "Pedro", "Mateus", "Felipe"),
            ("Ana", "Beatriz", "Mariana", "Larissa", "Camila", "Juliana", "Fernanda", "Letícia"),
            ("Silva", "Santos", "Oliveira", "Souza", "Costa", "Ferreira", "Almeida", "Carvalho",
             "Ribeiro", "Rodrigues"),
        ),
        5,
    ),
    "russian": (
        Origin(
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
        Origin(
            "et",
            ("Kristjan", "Mart", "Andres", "Tõnu", "Rasmus", "Siim", "Priit", "Margus"),
            ("Triin", "Kadri", "Liis", "Mari", "Kertu", "Kätlin", "Piret", "Merilin"),
            ("Tamm", "Saar", "Sepp", "Mägi", "Kask", "Kukk", "Rebane", "Ilves", "Pärn", "Koppel"),
        ),
        4,
    ),
    "french": (
        Origin(
            "fr",
            ("Louis", "Hugo", "Antoine", "Julien", "Mathieu", "Théo", "Nicolas", "Baptiste"),
            ("Camille", "Chloé", "Léa", "Manon", "Inès", "Claire", "Élodie", "Margaux"),
            ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
             "Leroy", "Moreau", "Lefèvre"),
        ),
        5,
    ),
    "italian": (
        Origin(
            "it",
            ("Marco", "Luca", "Matteo", "Alessandro", "Davide", "Lorenzo", "Andrea", "Stefano"),
            ("Giulia", "Chiara", "Francesca", "Sara", "Elisa", "Martina", "Valentina", "Alessia"),
            ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci",
             "Marino", "Greco"),
        ),
        5,
    ),
    "japanese": (
        Origin(
            "ja",
            ("Haruto", "Sota", "Ren", "Takumi", "Kenji", "Daiki", "Yuto", "Hiroshi"),
            ("Yui", "Aoi", "Sakura", "Hina", "Yuki", "Haruka", "Misaki", "Akiko"),
            ("Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura",
             "Kobayashi", "Kato"),
        ),
        3,
    ),
    "arab": (
        Origin(
            "ar",
            ("Omar", "Youssef", "Khaled", "Tariq", "Karim", "Ahmed", "Hassan", "Samir"),
            ("Layla", "Nour", "Rania", "Amira", "Huda", "Yasmin", "Salma", "Dina"),
            ("Haddad", "Mansour", "Khalil", "Nasser", "Saleh", "Hamdan", "Aziz", "Farouk",
             "Ibrahim", "Darwish"),
        ),
        4,
    ),
    "swedish": (
        Origin(
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
THIRD_LANGUAGES: Final = ("de", "fr", "es", "ru", "et", "ja", "it", "zh", "pt")

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


def email_for(name: str, number: int | None, domain: str) -> str:
    first, _, last = name.partition(" ")
    suffix = "" if number is None else str(number)
    return f"{_ascii(first)}.{_ascii(last)}{suffix}@{domain}"


_NO_ARTICLE: Final = ("Head of", "CTO", "CFO", "VP", "Chief", "Director", "Managing Director")


def as_title(title: str) -> str:
    """A job title as it reads after "as" or "was": "a Data Scientist", "Head of Data"."""
    if title.startswith(_NO_ARTICLE):
        return title
    return f"an {title}" if title[0] in "AEIO" or title.startswith("R&D") else f"a {title}"


def random_name(rng: random.Random, origin: Origin) -> str:
    female = rng.random() < 0.5
    first = rng.choice(origin.female if female else origin.male)
    last = rng.choice(origin.surnames)
    if female and origin.feminine_suffix:
        last += origin.feminine_suffix
    return f"{first} {last}"


def pick_origin(rng: random.Random) -> Origin:
    return rng.choices(_ORIGINS, weights=_ORIGIN_WEIGHTS)[0]


def moment(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A random moment in [start, end], to the second."""
    span = max(0, int((end - start).total_seconds()))
    return start + timedelta(seconds=rng.randint(0, span))
