"""Everything the API lets a client read, for tests that search what it shows: a document that
selects every field of a root field's type (to a depth), built from the schema itself, so a
field added tomorrow is read too."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
    is_leaf_type,
    is_required_argument,
)


def selection(type_: Any, schema: GraphQLSchema, depth: int) -> str:
    """Every field of the type without a required argument, and theirs, `depth` levels down."""
    named = get_named_type(type_)
    if is_leaf_type(named):
        return ""
    if depth <= 0:
        return "{ __typename }"
    parts = ["__typename"]
    if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
        for name, field in named.fields.items():
            if not any(is_required_argument(arg) for arg in field.args.values()):
                parts.append(f"{name} {selection(field.type, schema, depth - 1)}".strip())
    if isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
        for possible in schema.get_possible_types(named):
            parts.append(f"... on {possible.name} {selection(possible, schema, depth)}")
    return "{ " + " ".join(parts) + " }"


def call(
    root: str,
    name: str,
    field: GraphQLField,
    schema: GraphQLSchema,
    given: Mapping[str, Any],
    *,
    depth: int,
) -> tuple[str, dict[str, Any]]:
    """A document calling the root field with its required arguments from `given` (by
    "field.argument" or by the argument's name alone), and its variables."""
    variables: dict[str, Any] = {}
    definitions, arguments = [], []
    for arg_name, arg in field.args.items():
        if not is_required_argument(arg):
            continue
        key = next((k for k in (f"{name}.{arg_name}", arg_name) if k in given), None)
        assert key is not None, f"say which {arg_name} to give {root}.{name}"
        variables[arg_name] = given[key]
        definitions.append(f"${arg_name}: {arg.type}")
        arguments.append(f"{arg_name}: ${arg_name}")
    head = f"({', '.join(definitions)})" if definitions else ""
    args = f"({', '.join(arguments)})" if arguments else ""
    operation = root.lower()
    document = f"{operation}{head} {{ {name}{args} {selection(field.type, schema, depth)} }}"
    return document, variables
