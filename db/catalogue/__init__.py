"""The catalogue files Mentori ships (every ISO 639-1 language with its English name; an example
list of fields of study by school) and the CSV format a university edits.

A file names its columns on its first line, then holds one row a line. Blank lines and lines
starting with # are skipped. Commas or semicolons separate the values (Excel saves semicolons in
Finnish and other European locales); the text is UTF-8, with or without a byte-order mark."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent
LANGUAGES = HERE / "languages.csv"
FIELDS_EXAMPLE = HERE / "fields.example.csv"

LANGUAGE_COLUMNS = ("code", "name")
FIELD_COLUMNS = ("school", "field")
FIELD_OPTIONAL = ("id",)


class FileError(ValueError):
    """A file that cannot be read as the catalogue: where, and what is wrong."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line
        self.message = message


@dataclass(frozen=True, slots=True)
class Row:
    line: int  # the row's line in the file, counted from 1, as an editor shows it
    values: dict[str, str]


def read_file(path: Path, *, required: Sequence[str], optional: Sequence[str] = ()) -> list[Row]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = path.read_bytes()[: error.start].count(b"\n") + 1
        raise FileError(line, "The file is not UTF-8 text: save it as CSV UTF-8.") from error
    return read(text, required=required, optional=optional)


def read(text: str, *, required: Sequence[str], optional: Sequence[str] = ()) -> list[Row]:
    """The rows of a catalogue file, each value stripped, or FileError at the first problem."""
    # A note keeps its line ending, so that every later line keeps its number.
    lines = [
        line[len(line.rstrip("\r\n")) :] if line.lstrip().startswith("#") else line
        for line in text.splitlines(keepends=True)
    ]
    header_at = next((i for i, line in enumerate(lines) if line.strip()), None)
    if header_at is None:
        raise FileError(
            0, f"The file is empty; its first line names the columns: {_names(required)}."
        )
    header_line = lines[header_at]
    delimiter = ";" if ";" in header_line and "," not in header_line else ","
    reader = csv.reader(io.StringIO("".join(lines)), delimiter=delimiter, strict=True)
    columns: list[str] | None = None
    rows: list[Row] = []
    try:
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if columns is None:
                columns = _columns(cells, line, required, optional)
                continue
            if len(cells) != len(columns):
                raise FileError(
                    line, f"{len(cells)} values where the first line names {len(columns)} columns."
                )
            rows.append(Row(line, {c: v.strip() for c, v in zip(columns, cells, strict=True)}))
    except csv.Error as error:
        raise FileError(reader.line_num, f"Not CSV ({error}).") from error
    return rows


def _columns(
    cells: list[str], line: int, required: Sequence[str], optional: Sequence[str]
) -> list[str]:
    columns = [cell.strip().lower() for cell in cells]
    expected = f"the columns are {_names(required)}" + (
        f", and optionally {_names(optional)}" if optional else ""
    )
    for column in columns:
        if column not in (*required, *optional):
            raise FileError(line, f"Unknown column {column!r}: {expected}.")
        if columns.count(column) > 1:
            raise FileError(line, f"The column {column!r} is named twice.")
    missing = [c for c in required if c not in columns]
    if missing:
        raise FileError(line, f"No column {_names(missing)}: {expected}.")
    return columns


def _names(columns: Sequence[str]) -> str:
    return ", ".join(columns)
