"""Messaging: follow-ups, staff-alert texts, the SMS log; clinics may send from a Messaging Service.

Revision ID: 0002
Revises: 0001
Create Date: 2024-05-10

Written by hand to match bot/store/messaging_models.py. clinics.sms_number grows from 16
to 34 characters so it can hold a Twilio Messaging Service SID ("MG" + 32 hex digits).
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: Union[str, None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _dispatch_columns() -> list:
    """The delivery columns of bot.store.messaging_models.Dispatch."""
    return [
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("due_at", _utc(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _utc(), nullable=True),
        sa.Column("claimed_at", _utc(), nullable=True),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("in_doubt_since", _utc(), nullable=True),
        sa.Column("sid", sa.String(64), nullable=True),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(300), nullable=True),
        sa.Column("sent_at", _utc(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
    ]


def upgrade() -> None:
    with op.batch_alter_table("clinics") as batch:
        batch.alter_column("sms_number", existing_type=sa.String(16), type_=sa.String(34), existing_nullable=True)

    op.create_table(
        "followups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("treatment_id", sa.Integer(), nullable=False),
        sa.Column("step_key", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(200), nullable=True),
        *_dispatch_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followups")),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_followups_clinic_id_clinics"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_followups_client_id_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["treatment_id"], ["treatments.id"], name=op.f("fk_followups_treatment_id_treatments"), ondelete="CASCADE"
        ),
        sa.UniqueConstraint("treatment_id", "step_key", name=op.f("uq_followups_treatment_id_step_key")),
        sa.UniqueConstraint("sid", name=op.f("uq_followups_sid")),
    )
    op.create_index(op.f("ix_followups_status_due_at"), "followups", ["status", "due_at"])
    op.create_index(op.f("ix_followups_client_id"), "followups", ["client_id"])

    op.create_table(
        "alert_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        *_dispatch_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_deliveries")),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_alert_deliveries_alert_id_alerts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_alert_deliveries_clinic_id_clinics"), ondelete="CASCADE"
        ),
        sa.UniqueConstraint("alert_id", name=op.f("uq_alert_deliveries_alert_id")),
        sa.UniqueConstraint("sid", name=op.f("uq_alert_deliveries_sid")),
    )
    op.create_index(op.f("ix_alert_deliveries_status_due_at"), "alert_deliveries", ["status", "due_at"])

    op.create_table(
        "sms_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sid", sa.String(64), nullable=False),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("transport", sa.String(8), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=True),
        sa.Column("clinic_id", sa.Integer(), nullable=True),
        sa.Column("to_number", sa.String(64), nullable=False),
        sa.Column("from_number", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_messages")),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_sms_messages_clinic_id_clinics"), ondelete="SET NULL"
        ),
        sa.UniqueConstraint("sid", name=op.f("uq_sms_messages_sid")),
    )
    op.create_index(op.f("ix_sms_messages_transport_created_at"), "sms_messages", ["transport", "created_at"])


def downgrade() -> None:
    op.drop_table("sms_messages")
    op.drop_table("alert_deliveries")
    op.drop_table("followups")
    with op.batch_alter_table("clinics") as batch:
        batch.alter_column("sms_number", existing_type=sa.String(34), type_=sa.String(16), existing_nullable=True)
