"""What arrives on the wire, checked before anything reads it: JSON decoded within limits (HTTP
bodies, GET parameters, WebSocket messages alike), and the shape of graphql-transport-ws
messages."""

from __future__ import annotations

import json

# Deeper than any variables this schema takes; far from Python's recursion limit (1,000),
# which JSON nested 1,000 deep would reach in the decoder or in whatever walks it next.
MAX_JSON_DEPTH = 32

# The reasons a decode error carries (app/graphql_view.py tells each in a sentence).
NOT_UTF8 = "JSON not in UTF-8"
TOO_DEEP = "JSON nested too deep"
NUMBER_TOO_LONG = "JSON number too long"


def decode_json(data: str | bytes) -> object:
    """Whatever Python's decoder fails on besides bad syntax (nesting, an integer past its
    4,300 digits, bad UTF-8, NaN) is a JSONDecodeError too, which is what the HTTP view
    refuses with 400 and the WebSocket closes with 4400."""
    try:
        value = json.loads(data, parse_constant=_no_constant)
    except json.JSONDecodeError:
        raise
    except RecursionError as error:
        raise json.JSONDecodeError(TOO_DEEP, "", 0) from error
    except UnicodeDecodeError as error:
        raise json.JSONDecodeError(NOT_UTF8, "", 0) from error
    except ValueError as error:
        raise json.JSONDecodeError(NUMBER_TOO_LONG, "", 0) from error
    if _deeper_than(value, MAX_JSON_DEPTH):
        raise json.JSONDecodeError(TOO_DEEP, "", 0)
    return value


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _deeper_than(value: object, limit: int) -> bool:
    """Whether lists and objects nest more than `limit` deep (walked without recursion)."""
    level: list[object] = [value]
    for _ in range(limit):
        level = [
            inner
            for outer in level
            if isinstance(outer, dict | list)
            for inner in (outer.values() if isinstance(outer, dict) else outer)
            if isinstance(inner, dict | list)
        ]
        if not level:
            return False
    return True


def malformed_message(message: object) -> str | None:
    """Why a message is not one graphql-transport-ws specifies (None when it is). Strawberry
    checks only what it reads next, and fails on a list or a null payload."""
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return "A message must be a JSON object with a type"
    kind = message["type"]
    if kind in ("subscribe", "complete") and not isinstance(message.get("id"), str):
        return f"A {kind} message must have a string id"
    if kind != "subscribe":
        return None
    payload = message.get("payload")
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return "A subscribe message's payload must be an object with a query"
    fields = {"variables": (dict, "an object"), "extensions": (dict, "an object")}
    for name, (kind_of, said) in {**fields, "operationName": (str, "a string")}.items():
        if not isinstance(payload.get(name), kind_of | None):
            return f"A subscribe message's {name} must be {said} or null"
    return None
