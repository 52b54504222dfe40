"""Violence care at a visit with the types of violence reported (sexual, physical, emotional), for GEND_GBV

Revision ID: 7a1c2e9b4d20
Revises: 7c1f0e2a9b34
Create Date: 2026-12-02 03:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

import clinic_app.core.db


# revision identifiers, used by Alembic.
revision = '7a1c2e9b4d20'
down_revision = '7c1f0e2a9b34'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('violence_care',
    sa.Column('clinic_id', sa.Uuid(), nullable=False),
    sa.Column('visit_id', sa.Uuid(), nullable=False),
    sa.Column('sexual', sa.Boolean(), nullable=False),
    sa.Column('physical', sa.Boolean(), nullable=False),
    sa.Column('emotional', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', clinic_app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', clinic_app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_violence_care_clinic_id_clinics')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_violence_care_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_violence_care')),
    sa.UniqueConstraint('visit_id', name=op.f('uq_violence_care_visit_id'))
    )


def downgrade():
    op.drop_table('violence_care')
