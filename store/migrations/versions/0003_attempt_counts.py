"""the period's attempt count, kept with each attempt; voids name their attempt's period and time

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 19:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('periods', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
    op.execute(
        "UPDATE periods SET attempts = "
        "(SELECT count(*) FROM attempts WHERE attempts.period_id = periods.id AND NOT attempts.voided)"
    )
    # The fold counts a voided attempt out of its period and day without a list of
    # attempts: older voids get the attempt's period and time (UTC; the fold converts).
    op.execute(
        "UPDATE events SET details = json_set(details, "
        "'$.period_id', (SELECT period_id FROM attempts WHERE id = json_extract(events.details, '$.attempt_id')), "
        "'$.attempted_at', (SELECT at FROM attempts WHERE id = json_extract(events.details, '$.attempt_id'))) "
        "WHERE type = 'attempt_voided' AND json_extract(details, '$.period_id') IS NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table('periods', schema=None) as batch_op:
        batch_op.drop_column('attempts')
