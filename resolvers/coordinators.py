from __future__ import annotations

import strawberry

from schema import ids
from schema.context import Info
from schema.coordinators import Coordinator, CoordinatorInvite, CoordinatorRemoval
from schema.permissions import IsCoordinator
from schema.running import read, run
from services import coordinators


@strawberry.type
class CoordinatorQuery:
    @strawberry.field(
        description="Coordinators: everyone who coordinates, by name, and how they got the role.",
        permission_classes=[IsCoordinator],
    )
    async def coordinators(self, info: Info) -> list[Coordinator]:
        rows = await read(info, coordinators.coordinators)
        return [Coordinator.from_row(row) for row in rows]

    @strawberry.field(
        description=(
            "Coordinators: the invitations to coordinate, open and accepted (not those "
            "revoked), the newest first."
        ),
        permission_classes=[IsCoordinator],
    )
    async def coordinator_invites(self, info: Info) -> list[CoordinatorInvite]:
        rows = await read(info, coordinators.invitations)
        return [CoordinatorInvite.from_row(row) for row in rows]

    @strawberry.field(
        description=(
            "Coordinators: check an address before inviting it. Refused as inviteCoordinator "
            "would refuse it; otherwise the address as it would be invited (case-folded)."
        ),
        permission_classes=[IsCoordinator],
    )
    async def check_coordinator_invite(self, info: Info, email: str) -> str:
        return await read(info, coordinators.check_invitation, email)


@strawberry.type
class CoordinatorMutation:
    @strawberry.mutation(
        description=(
            "Coordinators: invite someone to coordinate. A letter tells them who invited them "
            "and how to sign in; signing in with this address, verified by their sign-in, makes "
            "them a coordinator. ALREADY_COORDINATOR or ALREADY_INVITED otherwise."
        ),
        permission_classes=[IsCoordinator],
    )
    async def invite_coordinator(self, info: Info, email: str) -> CoordinatorInvite:
        now = info.context.now()
        row = await run(info, coordinators.invite, email, now=now)
        return CoordinatorInvite.from_row(row)

    @strawberry.mutation(
        description="Coordinators: withdraw an open invitation (INVITATION_NOT_OPEN otherwise).",
        permission_classes=[IsCoordinator],
    )
    async def revoke_coordinator_invite(self, info: Info, id: strawberry.ID) -> CoordinatorInvite:
        key = ids.decode(id, "CoordinatorInvite")
        now = info.context.now()
        row = await run(info, coordinators.revoke, key, now=now)
        return CoordinatorInvite.from_row(row)

    @strawberry.mutation(
        description=(
            "Coordinators: take the coordinator's role away from a person (a User id). They keep "
            "any other role and are signed out everywhere. Refused for a role the university's "
            "sign-in grants (ROLE_FROM_IDENTITY_PROVIDER) and for the last coordinator "
            "(LAST_COORDINATOR)."
        ),
        permission_classes=[IsCoordinator],
    )
    async def remove_coordinator(self, info: Info, person_id: strawberry.ID) -> CoordinatorRemoval:
        key = ids.decode(person_id, "User")
        now = info.context.now()
        row = await run(info, coordinators.remove, key, now=now)
        return CoordinatorRemoval.from_row(row)
