"""erased subject digest: tokens issued before a person's erasure are refused

Revision ID: 0004
Revises: 0002
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # People erased before this have no digest: their subjects are gone, and so (long since)
    # are the tokens that carried them.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_subject_digest', sa.String(length=40), nullable=True))
        batch_op.create_index(
            batch_op.f('ix_users_erased_subject_digest'), ['erased_subject_digest'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_erased_subject_digest'))
        batch_op.drop_column('erased_subject_digest')
