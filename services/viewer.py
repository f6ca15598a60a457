"""Who is asking: the authenticated person behind an operation, and the role checks on them."""

from __future__ import annotations

from dataclasses import dataclass

from db.models import Role
from services.errors import DomainError, ErrorCode, forbidden


@dataclass(frozen=True, slots=True)
class Viewer:
    user_id: int
    role: Role
    name: str
    email: str

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
