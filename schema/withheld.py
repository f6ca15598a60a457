"""Input that no answer repeats (rule 2): a mentor's date of birth is written, never shown, so
no refusal quotes it back, however it was sent (a variable, a literal in the document, or
inside an object refused for another reason). graphql-core and Strawberry quote a refused value
whole ("Value cannot represent a Date: ..."); here each request's values of the withheld inputs
are found in its variables and its document, and cut from every message sent back."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from graphql import GraphQLError

WITHHELD_INPUTS = ("dateOfBirth",)
INSTEAD = "(withheld)"
# A shorter value carries no date of birth, and cutting it would cut ordinary words.
SHORTEST = 4
# A long value is quoted by its first or last characters (an ISO date has ten).
QUOTED_END = 10

_NAMES = "|".join(WITHHELD_INPUTS)
# Each alternative looks at most LONGEST characters ahead, so that many unclosed literals cost
# no more than one pass each (unbounded, 16,000 "dateOfBirth: [" took 1.2 s, growing as n²).
LONGEST = 1000
_LITERAL = re.compile(
    rf"(?<![$\w])(?:{_NAMES})\s*:\s*"
    rf'("""[\s\S]{{0,{LONGEST}}}?"""|"(?:[^"\\\n]|\\.){{0,{LONGEST}}}"'
    rf"|\[[^\]]{{0,{LONGEST}}}\]|\{{[^}}]{{0,{LONGEST}}}\}}|[^\s,)}}\]]{{1,{LONGEST}}})"
)
_VARIABLE = re.compile(rf"(?<![$\w])(?:{_NAMES})\s*:\s*\$(\w+)")
_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|([^\s"\[\]{},:]+)')
_NOT_A_VALUE = frozenset({"null", "true", "false"})


def _leaves(value: Any) -> Iterator[str]:
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _leaves(item)
    elif isinstance(value, str):
        yield value
        yield repr(value)[1:-1]
        yield json.dumps(value)[1:-1]
    elif value is not None and not isinstance(value, bool):
        yield str(value)


def _in_variables(value: Any) -> Iterator[Any]:
    """The values given to a withheld input anywhere in the variables."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key in WITHHELD_INPUTS:
                yield item
            else:
                yield from _in_variables(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _in_variables(item)


def _in_document(query: str) -> Iterator[str]:
    """The literals given to a withheld input in the document, and what they hold."""
    for found in _LITERAL.finditer(query):
        literal = found[1]
        if literal.startswith("$") or literal in _NOT_A_VALUE:
            continue  # a variable's value is found in the variables
        yield literal
        yield literal.strip('"')
        for token in _TOKEN.finditer(literal.strip('"')):
            text = token[1] if token[1] is not None else token[2]
            if text not in _NOT_A_VALUE:
                yield text


def values(query: str | None, variables: Mapping[str, Any] | None) -> list[str]:
    """What the request gave the withheld inputs, as a message may quote it: longest first."""
    given: list[Any] = list(_in_variables(variables or {}))
    texts: list[str] = []
    if query:
        given += [(variables or {}).get(name) for name in _VARIABLE.findall(query)]
        texts += _in_document(query)
    texts += [text for value in given for text in _leaves(value)]
    cut = set()
    for text in texts:
        cut.add(text)
        if len(text) > QUOTED_END:
            cut |= {text[:QUOTED_END], text[-QUOTED_END:]}
    return sorted((t for t in cut if len(t) >= SHORTEST), key=len, reverse=True)


def cut(error: GraphQLError, texts: Sequence[str]) -> GraphQLError:
    """The error with the withheld values cut from its message."""
    for text in texts:
        if text in error.message:
            error.message = error.message.replace(text, INSTEAD)
    return error
