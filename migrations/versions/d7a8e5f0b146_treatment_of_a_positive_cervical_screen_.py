"""Treatment of a positive cervical screen recorded at a later visit than the screen

Revision ID: d7a8e5f0b146
Revises: c6f7d4e9a035
Create Date: 2026-12-02 04:45:00.000000

"""
from alembic import op
import sqlalchemy as sa

import clinic_app.core.db


# revision identifiers, used by Alembic.
revision = 'd7a8e5f0b146'
down_revision = 'c6f7d4e9a035'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('later_cervical_treatments',
    sa.Column('clinic_id', sa.Uuid(), nullable=False),
    sa.Column('visit_id', sa.Uuid(), nullable=False),
    sa.Column('screen_id', sa.Uuid(), nullable=False),
    sa.Column('treatment', sa.Enum('none', 'cryotherapy', 'thermal_ablation', 'leep', name='cervicaltreatment', native_enum=False, length=18), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', clinic_app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', clinic_app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_later_cervical_treatments_clinic_id_clinics')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_later_cervical_treatments_visit_id_visits'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['screen_id'], ['cervical_screenings.id'], name=op.f('fk_later_cervical_treatments_screen_id_cervical_screenings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_later_cervical_treatments')),
    sa.UniqueConstraint('visit_id', name=op.f('uq_later_cervical_treatments_visit_id')),
    sa.UniqueConstraint('screen_id', name=op.f('uq_later_cervical_treatments_screen_id'))
    )


def downgrade():
    op.drop_table('later_cervical_treatments')
