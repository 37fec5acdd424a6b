"""At-risk episode state per (class, student): one notification per episode across restarts.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 05:42:02.957783
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "at_risk_states",
        sa.Column("class_id", sa.String(length=128), nullable=False),
        sa.Column("student_id", sa.String(length=64), nullable=False),
        sa.Column("is_flagged", sa.Boolean(), nullable=False),
        sa.Column("episode", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("class_id", "student_id"),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("at_risk_states")
