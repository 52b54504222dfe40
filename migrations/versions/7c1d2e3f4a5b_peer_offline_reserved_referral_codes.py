"""peer educators offline: blocks of referral codes reserved per peer educator for slips issued without signal

Revision ID: 7c1d2e3f4a5b
Revises: d7a8e5f0b146
Create Date: 2026-12-02 04:40:00

"""
import sqlalchemy as sa
from alembic import op

import clinic_app.core.db

revision = "7c1d2e3f4a5b"
down_revision = "d7a8e5f0b146"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "reserved_codes",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("clinic_id", sa.Uuid(), nullable=False),
        sa.Column("peer_educator_id", sa.Uuid(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", clinic_app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", clinic_app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"], name=op.f("fk_reserved_codes_clinic_id_clinics")),
        sa.ForeignKeyConstraint(
            ["peer_educator_id"], ["users.id"], name=op.f("fk_reserved_codes_peer_educator_id_users")
        ),
        sa.ForeignKeyConstraint(["referral_id"], ["referrals.id"], name=op.f("fk_reserved_codes_referral_id_referrals")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reserved_codes")),
        sa.UniqueConstraint("code", name=op.f("uq_reserved_codes_code")),
        sa.UniqueConstraint("referral_id", name=op.f("uq_reserved_codes_referral_id")),
    )
    with op.batch_alter_table("reserved_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reserved_codes_clinic_id"), ["clinic_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reserved_codes_peer_educator_id"), ["peer_educator_id"], unique=False)


def downgrade():
    with op.batch_alter_table("reserved_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reserved_codes_peer_educator_id"))
        batch_op.drop_index(batch_op.f("ix_reserved_codes_clinic_id"))
    op.drop_table("reserved_codes")
