"""costing export jobs: finance exports of long periods written to files by a worker task

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26 07:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('costing_export_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('format', sa.String(length=8), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('rows_expected', sa.Integer(), nullable=True),
    sa.Column('rows_written', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('file_path', sa.String(length=255), nullable=True),
    sa.Column('file_size', sa.Integer(), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('requested_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('queued', 'running', 'done', 'failed')",
                       name=op.f('ck_costing_export_jobs_export_job_state')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'],
                            name=op.f('fk_costing_export_jobs_location_id_locations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_costing_export_jobs'))
    )
    with op.batch_alter_table('costing_export_jobs', schema=None) as batch_op:
        batch_op.create_index('ix_costing_export_jobs_school_created', ['school_id', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('costing_export_jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_costing_export_jobs_school_created')
    op.drop_table('costing_export_jobs')
