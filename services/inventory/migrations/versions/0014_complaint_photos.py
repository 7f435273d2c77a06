"""complaint photos: an optional photo a supervisor adds to a complaint

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26 09:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('costing_complaints') as batch:
        batch.add_column(sa.Column('photo_key', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('photo_type', sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table('costing_complaints') as batch:
        batch.drop_column('photo_type')
        batch.drop_column('photo_key')
