"""Field permissions: who may ask at all. The finer rules (whose request, which phase) live in
services/, where every caller meets them."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from db.models import Role
from schema.context import Info
from services.errors import DomainError, ErrorCode
from services.viewer import require_role, require_viewer


def refuse_bad_token(info: Info) -> None:
    if info.context.auth_error is not None:
        raise DomainError(
            ErrorCode.UNAUTHENTICATED,
            f"Your sign-in token was refused ({info.context.auth_error}); sign in again.",
        )


class IsAuthenticated(BasePermission):
    message = "Sign in first: this needs a valid bearer token."

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        refuse_bad_token(info)
        require_viewer(info.context.viewer)
        return True


class IsCoordinator(BasePermission):
    message = "Only a coordinator can do that."

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        refuse_bad_token(info)
        require_role(info.context.viewer, Role.COORDINATOR)
        return True
