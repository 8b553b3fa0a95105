"""Bookings that arrive by themselves: booking sources, their events, saved import mappings.

Revision ID: 0005
Revises: 0004
Create Date: 2024-07-01

Written by hand to match bot/store/booking_models.py. Kinds and outcomes are plain
string columns without a CHECK constraint, so a new one needs no migration.
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: Union[str, None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _clinic(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["clinic_id"], ["clinics.id"], name=op.f(f"fk_{table}_clinic_id_clinics"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "booking_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("account", sa.String(64), nullable=True),
        sa.Column("sealed_secret", sa.Text(), nullable=False),
        sa.Column("appointment_types", sa.String(500), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_sources")),
        _clinic("booking_sources"),
        sa.UniqueConstraint("clinic_id", "kind", name=op.f("uq_booking_sources_clinic_id_kind")),
    )
    op.create_table(
        "booking_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("event_key", sa.String(128), nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("booking_ref", sa.String(128), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(64), nullable=True),
        sa.Column("received_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_events")),
        _clinic("booking_events"),
        sa.UniqueConstraint(
            "clinic_id", "source", "event_key", name=op.f("uq_booking_events_clinic_id_source_event_key")
        ),
    )
    op.create_index(op.f("ix_booking_events_clinic_id_received_at"), "booking_events", ["clinic_id", "received_at"])
    op.create_table(
        "import_mappings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("columns", sa.Text(), nullable=False),
        sa.Column("services", sa.String(500), nullable=True),
        sa.Column("date_order", sa.String(16), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_mappings")),
        _clinic("import_mappings"),
        sa.UniqueConstraint("clinic_id", "name", name=op.f("uq_import_mappings_clinic_id_name")),
    )


def downgrade() -> None:
    op.drop_table("import_mappings")
    op.drop_index(op.f("ix_booking_events_clinic_id_received_at"), table_name="booking_events")
    op.drop_table("booking_events")
    op.drop_table("booking_sources")
