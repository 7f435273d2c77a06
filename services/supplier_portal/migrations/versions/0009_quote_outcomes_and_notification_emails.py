"""quote outcomes (rfq.awarded) and notification emails

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 07:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('rfqs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('awarded_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('quotes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('outcome_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_quotes_outcome'), ['outcome'], unique=False)
    with op.batch_alter_table('quote_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('awarded', sa.Boolean(), nullable=True))
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('values', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
        batch_op.add_column(sa.Column('emailed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('email_attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_index(batch_op.f('ix_notifications_emailed_at'), ['emailed_at'], unique=False)
    # Notifications made before emails existed are not mailed now, long after the fact.
    op.execute("UPDATE notifications SET emailed_at = created_at")


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_emailed_at'))
        batch_op.drop_column('email_attempts')
        batch_op.drop_column('emailed_at')
        batch_op.drop_column('values')
    with op.batch_alter_table('quote_lines', schema=None) as batch_op:
        batch_op.drop_column('awarded')
    with op.batch_alter_table('quotes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quotes_outcome'))
        batch_op.drop_column('outcome_at')
        batch_op.drop_column('outcome')
    with op.batch_alter_table('rfqs', schema=None) as batch_op:
        batch_op.drop_column('awarded_at')
