"""one lot per school, item, supplier and lot number

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 05:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    # A NULL supplier would not collide in a plain unique index, hence the expression.
    with op.batch_alter_table('lots', schema=None) as batch_op:
        batch_op.drop_index('ix_lots_identity')
    op.create_index('uq_lots_identity', 'lots',
                    ['school_id', 'item_id', sa.text('coalesce(supplier_id, 0)'), 'lot_number'], unique=True)


def downgrade():
    op.drop_index('uq_lots_identity', table_name='lots')
    with op.batch_alter_table('lots', schema=None) as batch_op:
        batch_op.create_index('ix_lots_identity', ['school_id', 'item_id', 'lot_number'], unique=False)
