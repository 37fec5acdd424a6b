"""Teachers' decisions on drafted quiz items.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 16:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "draft_decisions",
        sa.Column("item_id", sa.String(length=128), nullable=False),
        sa.Column("class_id", sa.String(length=128), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("teacher_id", sa.Integer(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("bank_file", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("item_id"),
    )
    op.create_index("ix_draft_decisions_class_id", "draft_decisions", ["class_id"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_draft_decisions_class_id", table_name="draft_decisions")
    op.drop_table("draft_decisions")
