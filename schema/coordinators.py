"""Types of the coordinators' own page: who coordinates and how they got the role, the
invitations sent, and what a removal did."""

from __future__ import annotations

from datetime import datetime

import strawberry

from schema import ids
from services import coordinators
from services.roles import RoleSource

strawberry.enum(
    RoleSource,
    name="RoleSource",
    description=(
        "Where a role comes from. CLAIMS: the university's sign-in (a group or an affiliation "
        "it vouches for). TOKEN: a bearer token's role claim. INVITE: a coordinator's "
        "invitation, accepted by signing in. ALUMNI: the alumni sign-in. EMAIL: an email link."
    ),
)


@strawberry.type(description="A coordinator, as the other coordinators see them.")
class Coordinator:
    id: strawberry.ID = strawberry.field(
        description="The person's User id (removeCoordinator takes it)."
    )
    name: str
    email: str
    source: RoleSource = strawberry.field(
        description=(
            "How they hold the role; CLAIMS first when the university's sign-in grants it too."
        )
    )
    since: datetime = strawberry.field(description="When they first held it.")
    cannot_remove: str | None = strawberry.field(
        description=(
            "Why removeCoordinator would refuse to remove them now (the university grants the "
            "role, or they are the last coordinator); null when it would not."
        )
    )

    @classmethod
    def from_row(cls, row: coordinators.Coordinator) -> Coordinator:
        return cls(
            id=ids.encode("User", row.user_id),
            name=row.name,
            email=row.email,
            source=row.source,
            since=row.since,
            cannot_remove=row.cannot_remove,
        )


@strawberry.type(
    description=(
        "An invitation to coordinate: whoever signs in with this email address, verified by "
        "their sign-in, becomes a coordinator."
    )
)
class CoordinatorInvite:
    id: strawberry.ID
    email: str = strawberry.field(description="The address invited, case-folded.")
    invited_by: str | None = strawberry.field(
        description="The name of the coordinator who invited; null once they are erased."
    )
    created_at: datetime
    accepted_at: datetime | None = strawberry.field(
        description="When someone signed in with the address; null while the invitation is open."
    )
    revoked_at: datetime | None

    @classmethod
    def from_row(cls, row: coordinators.Invitation) -> CoordinatorInvite:
        invite = row.invite
        return cls(
            id=ids.encode("CoordinatorInvite", invite.id),
            email=invite.email,
            invited_by=row.invited_by,
            created_at=invite.created_at,
            accepted_at=invite.accepted_at,
            revoked_at=invite.revoked_at,
        )


@strawberry.type(description="A coordinator's role taken away.")
class CoordinatorRemoval:
    person_id: strawberry.ID
    name: str
    removed_at: datetime

    @classmethod
    def from_row(cls, row: coordinators.Removed) -> CoordinatorRemoval:
        return cls(
            person_id=ids.encode("User", row.user_id), name=row.name, removed_at=row.removed_at
        )
