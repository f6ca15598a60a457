"""mentor hidden by a coordinator: when, and the reason the mentor is told

Revision ID: 0007_mentor_hidden
Revises: 0006_match_nudges
Create Date: 2026-12-14
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.models

revision: str = "0007_mentor_hidden"
down_revision: str | None = "0006_match_nudges"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # No mentor has been hidden by a coordinator yet: NULL, and each may publish as before.
    with op.batch_alter_table("mentor_profiles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "hidden_by_coordinator_at", db.models.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(sa.Column("hidden_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mentor_profiles", schema=None) as batch_op:
        batch_op.drop_column("hidden_reason")
        batch_op.drop_column("hidden_by_coordinator_at")
