"""goods receipts applied to orders, so an invoice can wait for the receipts it covers

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 07:45:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('goods_receipts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('receipt_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['purchase_orders.id'], name=op.f('fk_goods_receipts_order_id_purchase_orders')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_goods_receipts_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_goods_receipts')),
    sa.UniqueConstraint('receipt_id', name=op.f('uq_goods_receipts_receipt_id'))
    )
    with op.batch_alter_table('goods_receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_goods_receipts_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_goods_receipts_school_id'), ['school_id'], unique=False)


def downgrade():
    op.drop_table('goods_receipts')
