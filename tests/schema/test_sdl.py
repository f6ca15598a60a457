"""The committed schema.graphql is the schema the code serves, and shows no date of birth."""

from __future__ import annotations

import difflib

from graphql import GraphQLInputObjectType, build_schema

from app.schema import SDL_PATH, sdl


def test_the_committed_sdl_is_the_schema_the_code_builds() -> None:
    committed = SDL_PATH.read_text()
    built = sdl()
    if committed != built:
        diff = "".join(
            difflib.unified_diff(
                committed.splitlines(keepends=True),
                built.splitlines(keepends=True),
                "schema/schema.graphql (committed)",
                "schema built from the code",
                n=1,
            )
        )
        raise AssertionError(
            f"schema/schema.graphql is stale: run `make schema` and commit it.\n{diff}"
        )


def test_no_output_type_has_a_date_of_birth() -> None:
    for text in (SDL_PATH.read_text(), sdl()):
        schema = build_schema(text)
        offending = [
            f"{type_.name}.{name}"
            for type_ in schema.type_map.values()
            if not isinstance(type_, GraphQLInputObjectType)
            for name in getattr(type_, "fields", {})
            if name.lower().replace("_", "") == "dateofbirth"
        ]
        assert offending == []
