"""expiry alerts per lot, location and day; alert horizon per location

Revision ID: 0009
Revises: 0009
Create Date: 2026-11-26 06:05:57.577310
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('expiry_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('alert_date', sa.Date(), nullable=False),
    sa.Column('expiry_date', sa.Date(), nullable=False),
    sa.Column('days_left', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_expiry_alerts_item_id_items')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_expiry_alerts_location_id_locations')),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_expiry_alerts_lot_id_lots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expiry_alerts')),
    sa.UniqueConstraint('location_id', 'lot_id', 'alert_date', name=op.f('uq_expiry_alerts_location_id_lot_id_alert_date'))
    )
    with op.batch_alter_table('expiry_alerts', schema=None) as batch_op:
        batch_op.create_index('ix_expiry_alerts_school_date', ['school_id', 'alert_date'], unique=False)

    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expiry_alert_days', sa.Integer(), nullable=True))



def downgrade():
    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.drop_column('expiry_alert_days')

    with op.batch_alter_table('expiry_alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_expiry_alerts_school_date')

    op.drop_table('expiry_alerts')
