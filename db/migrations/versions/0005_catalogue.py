"""catalogue: languages and fields can be retired; every ISO 639-1 language and a default list
of fields of study come with the migrations

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.models
from db import catalogue

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

languages = sa.table('languages', sa.column('code', sa.String), sa.column('name', sa.String))
fields = sa.table('fields', sa.column('name', sa.String), sa.column('school', sa.String))


def upgrade() -> None:
    with op.batch_alter_table('languages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retired_at', db.models.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('fields', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retired_at', db.models.UTCDateTime(timezone=True), nullable=True))

    # Without a catalogue no mentor or student can fill a profile. What a database holds already
    # stays as it is (codes, names, ids): only the languages it lacks are added, and the example
    # fields only where there are none yet (a university loads its own: `mentori catalogue load`).
    connection = op.get_bind()
    have = connection.execute(sa.select(languages.c.code, languages.c.name)).all()
    codes, names = {code for code, _ in have}, {name for _, name in have}
    missing = [
        {'code': row.values['code'], 'name': row.values['name']}
        for row in catalogue.read_file(catalogue.LANGUAGES, required=catalogue.LANGUAGE_COLUMNS)
        if row.values['code'] not in codes and row.values['name'] not in names
    ]
    if missing:
        connection.execute(sa.insert(languages), missing)
    if connection.execute(sa.select(sa.func.count()).select_from(fields)).scalar_one() == 0:
        rows = catalogue.read_file(
            catalogue.FIELDS_EXAMPLE,
            required=catalogue.FIELD_COLUMNS,
            optional=catalogue.FIELD_OPTIONAL,
        )
        connection.execute(
            sa.insert(fields),
            [{'name': row.values['field'], 'school': row.values['school']} for row in rows],
        )


def downgrade() -> None:
    # The languages and fields stay: profiles may use them.
    with op.batch_alter_table('fields', schema=None) as batch_op:
        batch_op.drop_column('retired_at')
    with op.batch_alter_table('languages', schema=None) as batch_op:
        batch_op.drop_column('retired_at')
