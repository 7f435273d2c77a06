"""expected receipts closed with their order (po.closed)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 08:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('expected_receipts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('close_reason', sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table('expected_receipts', schema=None) as batch_op:
        batch_op.drop_column('close_reason')
        batch_op.drop_column('closed_at')
