"""The review queue's verdicts on client messages.

Revision ID: 0008
Revises: 0007
Create Date: 2024-08-15

Written by hand to match bot/store/review_models.py.
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: Union[str, None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _fk(column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_message_reviews_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "message_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("intent", sa.String(64), nullable=True),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_reviews")),
        _fk("message_id", "messages", "CASCADE"),
        _fk("clinic_id", "clinics", "CASCADE"),
        _fk("reviewed_by_id", "staff", "SET NULL"),
        sa.UniqueConstraint("message_id", name=op.f("uq_message_reviews_message_id")),
    )
    op.create_index("ix_message_reviews_clinic_id_reviewed_at", "message_reviews", ["clinic_id", "reviewed_at"])
    op.create_index("ix_message_reviews_reviewed_at", "message_reviews", ["reviewed_at"])


def downgrade() -> None:
    op.drop_table("message_reviews")
