"""The first schema: clinics, clients, treatments, alerts.

Revision ID: 0001
Revises:
Create Date: 2024-05-01

Written by hand to match bot/store/models.py; names follow its naming convention and
are given with op.f() so they are used exactly as written.
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: Union[str, None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "clinics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(16), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("booking_url", sa.String(2000), nullable=True),
        sa.Column("protocol_yaml", sa.Text(), nullable=True),
        sa.Column("sms_number", sa.String(16), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinics")),
        sa.UniqueConstraint("slug", name=op.f("uq_clinics_slug")),
    )
    op.create_table(
        "clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(16), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("opted_out_at", _utc(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clients")),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"], name=op.f("fk_clients_clinic_id_clinics")),
        sa.UniqueConstraint("clinic_id", "phone", name=op.f("uq_clients_clinic_id_phone")),
        sa.UniqueConstraint("clinic_id", "id", name=op.f("uq_clients_clinic_id_id")),
    )
    op.create_index(op.f("ix_clients_phone"), "clients", ["phone"])
    op.create_table(
        "treatments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("performed_at", _utc(), nullable=False),
        sa.Column("area", sa.String(64), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "booked",
                "done",
                "cancelled",
                name="treatment_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("external_ref", sa.String(128), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treatments")),
        sa.ForeignKeyConstraint(
            ["clinic_id", "client_id"],
            ["clients.clinic_id", "clients.id"],
            name=op.f("fk_treatments_clinic_id_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("clinic_id", "external_ref", name=op.f("uq_treatments_clinic_id_external_ref")),
    )
    op.create_index(op.f("ix_treatments_client_id_performed_at"), "treatments", ["client_id", "performed_at"])
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("handled_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"], name=op.f("fk_alerts_clinic_id_clinics")),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_alerts_client_id_clients"), ondelete="SET NULL"
        ),
    )
    op.create_index(op.f("ix_alerts_clinic_id_handled_at"), "alerts", ["clinic_id", "handled_at"])


def downgrade() -> None:
    op.drop_table("alerts")
    op.drop_table("treatments")
    op.drop_table("clients")
    op.drop_table("clinics")
