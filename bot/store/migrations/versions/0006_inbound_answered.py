"""Inbound texts are marked answered only once answered; replies name what they answer.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04

Written by hand to match bot/store/messaging_models.py. Inbound rows stored before this
revision were answered when they were written: they become "answered".
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: Union[str, None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("sms_messages", sa.Column("handled_by", sa.String(64), nullable=True))
    op.add_column("sms_messages", sa.Column("in_reply_to", sa.String(64), nullable=True))
    op.create_index(op.f("ix_sms_messages_in_reply_to"), "sms_messages", ["in_reply_to"])
    op.execute("UPDATE sms_messages SET status = 'answered' WHERE direction = 'in'")


def downgrade() -> None:
    op.execute("UPDATE sms_messages SET status = 'received' WHERE direction = 'in'")
    op.drop_index(op.f("ix_sms_messages_in_reply_to"), "sms_messages")
    with op.batch_alter_table("sms_messages") as batch:
        batch.drop_column("in_reply_to")
        batch.drop_column("handled_by")
