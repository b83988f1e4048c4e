"""ledger_months: the postings summed per month, cooperative, account, kind, household and product, filled from
the postings

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 02:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ledger_months',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coop_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('product_slug', sa.String(length=80), nullable=False),
    sa.Column('account', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('units', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_months')),
    sa.UniqueConstraint('coop_id', 'account', 'kind', 'household_id', 'product_slug', 'month',
                        name='uq_ledger_months_key')
    )
    with op.batch_alter_table('ledger_months', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_months_account_kind_month', ['account', 'kind', 'month'], unique=False,
                              postgresql_include=['coop_id', 'household_id', 'amount_fen'])
    # Fill it from the ledger as post() would have (shop/ledger/rollup.py: roll_up_months): every posting by
    # cooperative, account, kind, household and Shanghai month, by product for the lines of sales and refunds;
    # units are the lines' quantities, counted on each line's first posting of its payment.
    month = ("to_char(p.posted_at + interval '8 hours', 'YYYY-MM')" if op.get_bind().dialect.name == "postgresql"
             else "strftime('%Y-%m', p.posted_at, '+8 hours')")
    slug = ("CASE WHEN p.kind IN ('payment', 'refund') AND p.line_id IS NOT NULL THEN l.product_slug ELSE '' END")
    op.execute(f"""
        INSERT INTO ledger_months (coop_id, account, kind, household_id, product_slug, month, amount_fen, units)
        SELECT COALESCE(p.coop_id, 0), p.account, p.kind, COALESCE(p.household_id, 0), {slug}, {month},
               SUM(p.amount_fen),
               SUM(CASE WHEN f.first_id IS NOT NULL THEN COALESCE(l.quantity, 0) ELSE 0 END)
        FROM ledger_postings p LEFT JOIN order_lines l ON l.id = p.line_id
             LEFT JOIN (SELECT line_id, min(id) AS first_id FROM ledger_postings
                        WHERE kind = 'payment' AND line_id IS NOT NULL GROUP BY line_id) f ON f.first_id = p.id
        GROUP BY COALESCE(p.coop_id, 0), p.account, p.kind, COALESCE(p.household_id, 0), {slug}, {month}""")


def downgrade():
    with op.batch_alter_table('ledger_months', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_months_account_kind_month')
    op.drop_table('ledger_months')
