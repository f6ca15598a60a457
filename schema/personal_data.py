"""GraphQL types for a person's own data: what is left after an erasure."""

from __future__ import annotations

from datetime import datetime

import strawberry


@strawberry.type(description="A person's data was erased; anonymous counts remain.")
class Erasure:
    person_id: strawberry.ID
    erased_at: datetime
