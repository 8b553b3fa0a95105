"""The message log (conversations, messages, their photos), alerts as the console's
needs-attention items, take-overs, and a clinic's alert phone.

Revision ID: 0007
Revises: 0006
Create Date: 2024-08-01

Written by hand to match bot/store/conversation_models.py and the columns added to
bot/store/models.py and bot/store/messaging_models.py. Kinds and channels are plain
string columns without a CHECK constraint, so a new one needs no migration.
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: Union[str, None] = "0006"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("key", sa.String(96), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("started_at", _utc(), nullable=False),
        sa.Column("last_activity_at", _utc(), nullable=False),
        sa.Column("last_text", sa.String(200), nullable=True),
        sa.Column("taken_over_by_id", sa.Integer(), nullable=True),
        sa.Column("taken_over_at", _utc(), nullable=True),
        sa.Column("takeover_until", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
        _fk("conversations", "clinic_id", "clinics", "CASCADE"),
        _fk("conversations", "client_id", "clients", "CASCADE"),
        _fk("conversations", "taken_over_by_id", "staff", "SET NULL"),
        sa.UniqueConstraint("clinic_id", "key", name=op.f("uq_conversations_clinic_id_key")),
    )
    op.create_index("ix_conversations_clinic_id_last_activity_at", "conversations", ["clinic_id", "last_activity_at"])
    op.create_index("ix_conversations_client_id", "conversations", ["client_id"])
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("at", _utc(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("intent", sa.String(64), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("topics", sa.String(200), nullable=True),
        sa.Column("action", sa.String(64), nullable=True),
        sa.Column("recovery_hours", sa.Float(), nullable=True),
        sa.Column("during_takeover", sa.Boolean(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("followup_id", sa.Integer(), nullable=True),
        sa.Column("delivery_status", sa.String(16), nullable=True),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        _fk("messages", "conversation_id", "conversations", "CASCADE"),
        _fk("messages", "clinic_id", "clinics", "CASCADE"),
        _fk("messages", "client_id", "clients", "CASCADE"),
        _fk("messages", "staff_id", "staff", "SET NULL"),
        _fk("messages", "followup_id", "followups", "SET NULL"),
    )
    op.create_index("ix_messages_conversation_id_at", "messages", ["conversation_id", "at"])
    op.create_index("ix_messages_clinic_id_at", "messages", ["clinic_id", "at"])
    op.create_index("ix_messages_clinic_id_kind_at", "messages", ["clinic_id", "kind", "at"])
    op.create_index("ix_messages_followup_id", "messages", ["followup_id"])
    op.create_table(
        "message_media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_media")),
        _fk("message_media", "message_id", "messages", "CASCADE"),
    )
    op.create_index("ix_message_media_message_id", "message_media", ["message_id"])
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("conversation_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("message_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("handled_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("text_wanted", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.create_foreign_key(
            op.f("fk_alerts_conversation_id_conversations"),
            "conversations",
            ["conversation_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_foreign_key(
            op.f("fk_alerts_message_id_messages"), "messages", ["message_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_foreign_key(
            op.f("fk_alerts_handled_by_id_staff"), "staff", ["handled_by_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index("ix_alerts_clinic_id_created_at", ["clinic_id", "created_at"])
        batch.create_index("ix_alerts_conversation_id", ["conversation_id"])
    with op.batch_alter_table("sms_messages") as batch:
        batch.add_column(sa.Column("message_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_sms_messages_message_id_messages"), "messages", ["message_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index("ix_sms_messages_message_id", ["message_id"])
    with op.batch_alter_table("clinics") as batch:
        batch.add_column(sa.Column("alert_phone", sa.String(16), nullable=True))
    # Alerts were texted to the clinic's phone; keep that where it could work (the clinic
    # texts from another number), so nobody stops getting them unawares.
    op.execute(
        "UPDATE clinics SET alert_phone = phone WHERE sms_number IS NOT NULL AND sms_number <> phone "
        "AND sms_number NOT LIKE 'MG%'"
    )


def downgrade() -> None:
    with op.batch_alter_table("clinics") as batch:
        batch.drop_column("alert_phone")
    with op.batch_alter_table("sms_messages") as batch:
        batch.drop_index("ix_sms_messages_message_id")
        batch.drop_constraint(op.f("fk_sms_messages_message_id_messages"), type_="foreignkey")
        batch.drop_column("message_id")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_index("ix_alerts_conversation_id")
        batch.drop_index("ix_alerts_clinic_id_created_at")
        batch.drop_constraint(op.f("fk_alerts_handled_by_id_staff"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_alerts_message_id_messages"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_alerts_conversation_id_conversations"), type_="foreignkey")
        batch.drop_column("text_wanted")
        batch.drop_column("handled_by_id")
        batch.drop_column("message_id")
        batch.drop_column("conversation_id")
    op.drop_table("message_media")
    op.drop_table("messages")
    op.drop_table("conversations")
