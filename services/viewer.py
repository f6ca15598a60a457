"""Who is asking: the authenticated person behind an operation, and the role checks on them."""

from __future__ import annotations

from dataclasses import dataclass, replace

from db.models import Role
from services.errors import DomainError, ErrorCode, forbidden, invalid, shortened


@dataclass(frozen=True, slots=True)
class Viewer:
    user_id: int
    role: Role
    name: str
    email: str
    # Every role the person holds; `role` is the one this request acts in.
    roles: frozenset[Role] = frozenset()

    @property
    def is_coordinator(self) -> bool:
        return self.role is Role.COORDINATOR


def require_viewer(viewer: Viewer | None) -> Viewer:
    if viewer is None:
        raise DomainError(
            ErrorCode.UNAUTHENTICATED, "Sign in first: this needs a valid bearer token."
        )
    return viewer


def require_role(viewer: Viewer | None, *roles: Role) -> Viewer:
    viewer = require_viewer(viewer)
    if viewer.role not in roles:
        names = " or ".join(role.value.lower() for role in roles)
        raise forbidden(f"Only a {names} can do that.")
    return viewer


def acting_as(viewer: Viewer, wanted: str | None) -> Viewer:
    """The viewer acting in the role a request names (the X-Mentori-Role header, or `role` in
    a WebSocket's connection_init payload); unnamed, the person's default role."""
    if not wanted:
        return viewer
    role = Role.__members__.get(wanted.strip().upper())
    if role is None:
        names = ", ".join(Role.__members__)
        raise invalid(f"There is no role {shortened(wanted)!r}: one of {names}.")
    if role is not viewer.role and role not in viewer.roles:
        held = " and ".join(r.value.lower() for r in Role if r in viewer.roles | {viewer.role})
        raise forbidden(
            f"You do not hold the {role.value.lower()} role in Mentori (you hold: {held}); "
            "ask the programme's coordinators if you should."
        )
    return replace(viewer, role=role)
