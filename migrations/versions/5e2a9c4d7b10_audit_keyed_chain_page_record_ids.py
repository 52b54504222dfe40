"""audit: keyed hash chain (sealed key), record ids of list pages

Revision ID: 5e2a9c4d7b10
Revises: 4f9825e13f3b
Create Date: 2026-11-22 09:00:00.000000

Rows already written keep their plain SHA-256 hashes: the keyed chain starts after them
(audit_head.keyed_from), and `flask audit verify` says how many rows predate it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e2a9c4d7b10'
down_revision = '4f9825e13f3b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_key_seals',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('salt', sa.LargeBinary(length=16), nullable=False),
    sa.Column('nonce', sa.LargeBinary(length=12), nullable=False),
    sa.Column('sealed', sa.LargeBinary(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_key_seals'))
    )
    # Plain ADD COLUMN (no table copy): the append-only triggers on audit_events stay in place.
    op.add_column('audit_events', sa.Column('object_ids', sa.Text(), nullable=True))
    op.add_column('audit_head', sa.Column('keyed_from', sa.BigInteger(), nullable=False, server_default='1'))
    op.execute("UPDATE audit_head SET keyed_from = seq + 1")
    with op.batch_alter_table('audit_head', schema=None) as batch_op:
        batch_op.alter_column('keyed_from', existing_type=sa.BigInteger(), server_default=None)


def downgrade():
    with op.batch_alter_table('audit_head', schema=None) as batch_op:
        batch_op.drop_column('keyed_from')
    op.drop_column('audit_events', 'object_ids')
    op.drop_table('audit_key_seals')
