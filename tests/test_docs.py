"""What the code and the documents cite is in the repository: every rule number a comment gives
is a rule in docs/rules.md, every file named exists, every test a document names is a test, and
nothing points at a tracker or a document the repository does not have."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCANNED = (
    "app",
    "bench",
    "dashboard",
    "db",
    "docs",
    "live",
    "resolvers",
    "schema",
    "services",
    "tests",
)
TEXT = {".py", ".md", ".js", ".html", ".css", ".toml", ".graphql"}
SKIPPED = {"__pycache__", "screenshots", "results", "node_modules"}
THIS = Path(__file__).resolve()

RULE = re.compile(r"\brules? (\d+(?:(?:, | and | to )\d+)*)", re.IGNORECASE)
PATH = re.compile(
    r"(?<![\w/.-])((?:app|bench|dashboard|db|docs|live|resolvers|schema|services|tests)/"
    r"[\w./-]*\.(?:py|md|json|js|html|css|png|graphql))(?!\w)"
)
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
TEST_NAME = re.compile(r"`(test_\w+)`")
ELSEWHERE = re.compile(r"DESIGN\.md|\bissue #?\d+", re.IGNORECASE)


def _files() -> Iterator[Path]:
    yield ROOT / "README.md"
    yield ROOT / "pyproject.toml"
    yield ROOT / "Makefile"
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*")):
            if path.suffix in TEXT and not SKIPPED & set(path.parts) and path != THIS:
                yield path


def _lines() -> Iterator[tuple[str, int, str]]:
    for path in _files():
        where = str(path.relative_to(ROOT))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            yield where, number, line


def _documented_rules() -> set[int]:
    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    return {int(n) for n in re.findall(r"^## (\d+)\. ", text, re.MULTILINE)}


def test_the_rules_are_numbered_one_to_ten_in_docs() -> None:
    assert _documented_rules() == set(range(1, 11))


def test_every_rule_cited_is_in_docs_rules() -> None:
    documented = _documented_rules()
    wrong = [
        f"{where}:{number}: {match.group(0)}"
        for where, number, line in _lines()
        for match in RULE.finditer(line)
        if {int(n) for n in re.findall(r"\d+", match.group(1))} - documented
    ]
    assert wrong == []


def test_every_file_named_exists() -> None:
    missing = [
        f"{where}:{number}: {path}"
        for where, number, line in _lines()
        for path in PATH.findall(line)
        if not (ROOT / path).exists()
    ]
    assert missing == []


def test_every_link_between_documents_leads_somewhere() -> None:
    documents = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    broken = [
        f"{document.relative_to(ROOT)}: {target}"
        for document in documents
        for target in LINK.findall(document.read_text(encoding="utf-8"))
        if "://" not in target and not (document.parent / target).exists()
    ]
    assert broken == []


def test_every_test_a_document_names_is_a_test() -> None:
    defined = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        defined |= set(re.findall(r"def (test_\w+)\(", path.read_text(encoding="utf-8")))
    documents = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    named = {name for d in documents for name in TEST_NAME.findall(d.read_text(encoding="utf-8"))}
    assert sorted(named - defined) == []


def test_nothing_points_at_a_tracker_or_a_document_the_repository_lacks() -> None:
    elsewhere = [
        f"{where}:{number}: {match.group(0)}"
        for where, number, line in _lines()
        for match in ELSEWHERE.finditer(line)
    ]
    assert elsewhere == []
