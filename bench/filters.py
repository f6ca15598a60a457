"""Which mentors a subscriber's MentorFilter matches, judged from the mentor's attributes: the
harness uses it to know who must receive an event, the baseline server to choose its sockets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class MentorFacts:
    id: int
    global_id: str
    languages: frozenset[str]
    degree_levels: frozenset[str]
    fields: frozenset[str]  # global ids

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "globalId": self.global_id,
            "languages": sorted(self.languages),
            "degreeLevels": sorted(self.degree_levels),
            "fields": sorted(self.fields),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MentorFacts:
        return cls(
            int(data["id"]),
            str(data["globalId"]),
            frozenset(data["languages"]),
            frozenset(data["degreeLevels"]),
            frozenset(data["fields"]),
        )


def matches(flt: Mapping[str, Any] | None, mentor: MentorFacts) -> bool:
    if not flt:
        return True
    languages = flt.get("languages")
    if languages and not mentor.languages.intersection(c.lower() for c in languages):
        return False
    level = flt.get("degreeLevel")
    if level and level not in mentor.degree_levels:
        return False
    fields = flt.get("fields")
    return not (fields and not mentor.fields.intersection(fields))
