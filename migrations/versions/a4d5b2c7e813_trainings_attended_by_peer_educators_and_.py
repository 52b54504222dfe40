"""Trainings attended by peer educators and other staff (by account) as well as clients

Revision ID: a4d5b2c7e813
Revises: 9c3e4a1b6f42
Create Date: 2026-12-02 04:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a4d5b2c7e813'
down_revision = '9c3e4a1b6f42'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('training_staff',
    sa.Column('training_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['training_id'], ['trainings.id'], name=op.f('fk_training_staff_training_id_trainings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_training_staff_user_id_users')),
    sa.PrimaryKeyConstraint('training_id', 'user_id', name=op.f('pk_training_staff'))
    )


def downgrade():
    op.drop_table('training_staff')
