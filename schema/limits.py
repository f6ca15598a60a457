"""How big a document may be, measured before any validation rule walks it.

Fragments let a short text stand for a huge document: twenty fragments, each spreading the next
twice, are a kilobyte that written out selects two million fields. Here each definition is
walked once and each fragment measured once (a spread adds the measure of its fragment), so
measuring is linear in the text, whatever the spreads multiply to. A document over a limit is
refused before validation; Strawberry's QueryDepthLimiter and MaxAliasesLimiter, which walk every
spread anew, are replaced by the depth and alias counts measured here."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from strawberry.extensions import SchemaExtension

from schema.errors import QUERY_TOO_COMPLEX


@dataclass(frozen=True, slots=True)
class Limits:
    selections: int
    spreads: int
    depth: int
    aliases: int


@dataclass(slots=True)
class Size:
    """A definition written out: its selections (fields, inline fragments and spreads), its
    fragment spreads, aliases, and depth (as Strawberry counts it: fields within fields, not
    counting below an introspection field)."""

    selections: int = 0
    spreads: int = 0
    aliases: int = 0
    depth: int = 0


@dataclass(slots=True)
class _Written:
    """A definition as written: its own size, and each fragment it spreads with the depth of
    the spread (None below introspection)."""

    size: Size
    spreads: list[tuple[str, int | None]]


def _as_written(selection_set: SelectionSetNode) -> _Written:
    size = Size()
    spreads: list[tuple[str, int | None]] = []
    stack: list[tuple[SelectionSetNode, int | None]] = [(selection_set, 0)]
    while stack:
        current, depth = stack.pop()
        for selection in current.selections:
            size.selections += 1
            if isinstance(selection, FieldNode):
                size.aliases += selection.alias is not None
                nested = depth
                if depth is not None:
                    size.depth = max(size.depth, depth)
                    nested = None if selection.name.value.startswith("__") else depth + 1
                if selection.selection_set is not None:
                    stack.append((selection.selection_set, nested))
            elif isinstance(selection, InlineFragmentNode):
                stack.append((selection.selection_set, depth))
            elif isinstance(selection, FragmentSpreadNode):
                size.spreads += 1
                spreads.append((selection.name.value, depth))
    return _Written(size, spreads)


def _written_out(written: _Written, fragments: Mapping[str, Size]) -> Size:
    size = replace(written.size)
    for name, depth in written.spreads:
        fragment = fragments.get(name)
        if fragment is None:
            continue  # an unknown fragment, or one closing a cycle: validation reports both
        size.selections += fragment.selections
        size.spreads += fragment.spreads
        size.aliases += fragment.aliases
        if depth is not None:
            size.depth = max(size.depth, depth + fragment.depth)
    return size


def _fragment_sizes(document: DocumentNode) -> dict[str, Size]:
    """Each fragment written out, measured once. Spreads are followed depth first without
    recursion (the parser bounds nesting within a definition, not a chain of fragments); a
    spread back into a fragment still being measured, a cycle, counts for nothing."""
    written = {
        definition.name.value: _as_written(definition.selection_set)
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    sizes: dict[str, Size] = {}
    for root in written:
        if root in sizes:
            continue
        path: list[tuple[str, Iterator[tuple[str, int | None]]]] = [
            (root, iter(written[root].spreads))
        ]
        on_path = {root}
        while path:
            name, spreads = path[-1]
            for spread, _ in spreads:
                if spread in written and spread not in sizes and spread not in on_path:
                    path.append((spread, iter(written[spread].spreads)))
                    on_path.add(spread)
                    break
            else:
                path.pop()
                on_path.discard(name)
                sizes[name] = _written_out(written[name], sizes)
    return sizes


def refusals(document: DocumentNode, limits: Limits) -> list[GraphQLError]:
    """Why the document is refused, if it is: too big written out, too deep, too many aliases."""
    fragments = _fragment_sizes(document)
    operations = [
        (definition, _written_out(_as_written(definition.selection_set), fragments))
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
    ]
    selections = sum(size.selections for _, size in operations)
    spreads = sum(size.spreads for _, size in operations)
    if selections > limits.selections or spreads > limits.spreads:
        return [
            GraphQLError(
                "This document is too big with its fragments written out wherever they are "
                f"spread: at most {limits.selections} selections and {limits.spreads} "
                "fragment spreads are allowed. Spread fragments fewer times, or ask for less "
                "in one request.",
                extensions={"code": QUERY_TOO_COMPLEX},
            )
        ]
    # Worded as Strawberry's QueryDepthLimiter and MaxAliasesLimiter word them.
    errors = [
        GraphQLError(
            f"'{operation.name.value if operation.name else 'anonymous'}' exceeds maximum "
            f"operation depth of {limits.depth}",
            operation,
        )
        for operation, size in operations
        if size.depth > limits.depth
    ]
    aliases = sum(size.aliases for _, size in operations)
    if aliases > limits.aliases:
        errors.append(GraphQLError(f"{aliases} aliases found. Allowed: {limits.aliases}"))
    return errors


class DocumentLimits(SchemaExtension):
    """Refuses a document over the limits before it is validated (the validation in
    app/schema.py leaves a refused document alone)."""

    def __init__(self, limits: Limits) -> None:
        super().__init__()
        self.limits = limits

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None:
            errors = refusals(context.graphql_document, self.limits)
            if errors:
                context.pre_execution_errors = errors
        yield
