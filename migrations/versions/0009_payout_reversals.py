"""payouts.kind and payouts.reverses_id: Stripe transfer reversals after refunds

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 03:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=10), server_default='transfer', nullable=False))
        batch_op.add_column(sa.Column('reverses_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_payouts_reverses_id_payouts'), 'payouts', ['reverses_id'], ['id'])
        batch_op.create_check_constraint(batch_op.f('ck_payouts_kind'), "kind IN ('transfer', 'reversal')")
        batch_op.create_check_constraint(batch_op.f('ck_payouts_reverses'),
                                         "(kind = 'reversal') = (reverses_id IS NOT NULL)")


def downgrade():
    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_payouts_reverses'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_payouts_kind'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_payouts_reverses_id_payouts'), type_='foreignkey')
        batch_op.drop_column('reverses_id')
        batch_op.drop_column('kind')
