"""Web chat: a clinic's brand colour, and revoking a client's chat links.

Revision ID: 0003
Revises: 0002
Create Date: 2024-05-20

Both columns are nullable: no colour means the widget's default, no cutoff means every
unexpired link the client was given works.
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: Union[str, None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("clinics") as batch:
        batch.add_column(sa.Column("brand_color", sa.String(7), nullable=True))
    with op.batch_alter_table("clients") as batch:
        batch.add_column(sa.Column("links_valid_after", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("links_valid_after")
    with op.batch_alter_table("clinics") as batch:
        batch.drop_column("brand_color")
