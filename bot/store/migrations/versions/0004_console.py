"""Staff console: staff accounts, set-password links, sessions, sign-in locks, audit log.

Revision ID: 0004
Revises: 0003
Create Date: 2024-06-01

Written by hand to match bot/store/staff_models.py. The audit action is a plain string
column without a CHECK constraint, so a new action needs no migration.
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: Union[str, None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("clinic_id", sa.Integer(), nullable=True),
        sa.Column(
            "role",
            sa.Enum(
                "owner",
                "staff",
                "operator",
                name="staff_role",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("password_hash", sa.String(200), nullable=True),
        sa.Column("password_set_at", _utc(), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff")),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"], name=op.f("fk_staff_clinic_id_clinics")),
        sa.UniqueConstraint("email", name=op.f("uq_staff_email")),
        sa.CheckConstraint(
            "(role = 'operator' AND clinic_id IS NULL) OR (role <> 'operator' AND clinic_id IS NOT NULL)",
            name=op.f("ck_staff_operator_has_no_clinic"),
        ),
    )
    op.create_index(op.f("ix_staff_clinic_id"), "staff", ["clinic_id"])

    op.create_table(
        "staff_password_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("token_digest", sa.String(64), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("expires_at", _utc(), nullable=False),
        sa.Column("used_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_password_links")),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_staff_password_links_staff_id_staff"), ondelete="CASCADE"
        ),
        sa.UniqueConstraint("token_digest", name=op.f("uq_staff_password_links_token_digest")),
    )
    op.create_index(op.f("ix_staff_password_links_staff_id"), "staff_password_links", ["staff_id"])

    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("token_digest", sa.String(64), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("last_seen_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_sessions")),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_staff_sessions_staff_id_staff"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_staff_sessions_clinic_id_clinics"), ondelete="SET NULL"
        ),
        sa.UniqueConstraint("token_digest", name=op.f("uq_staff_sessions_token_digest")),
    )
    op.create_index(op.f("ix_staff_sessions_staff_id"), "staff_sessions", ["staff_id"])

    op.create_table(
        "sign_in_locks",
        sa.Column("account_digest", sa.String(64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", _utc(), nullable=False),
        sa.Column("locked_until", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("account_digest", name=op.f("pk_sign_in_locks")),
    )

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", _utc(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("clinic_id", sa.Integer(), nullable=True),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("about_staff_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_audit_log_staff_id_staff")),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"], name=op.f("fk_audit_log_clinic_id_clinics")),
        sa.ForeignKeyConstraint(["about_staff_id"], ["staff.id"], name=op.f("fk_audit_log_about_staff_id_staff")),
    )
    op.create_index(op.f("ix_audit_log_clinic_id_at"), "audit_log", ["clinic_id", "at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_log_clinic_id_at"), table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("sign_in_locks")
    op.drop_index(op.f("ix_staff_sessions_staff_id"), table_name="staff_sessions")
    op.drop_table("staff_sessions")
    op.drop_index(op.f("ix_staff_password_links_staff_id"), table_name="staff_password_links")
    op.drop_table("staff_password_links")
    op.drop_index(op.f("ix_staff_clinic_id"), table_name="staff")
    op.drop_table("staff")
