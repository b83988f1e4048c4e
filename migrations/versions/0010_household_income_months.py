"""household_income_months: the reports' monthly roll-up of household income, filled from the postings

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 12:45:00.219134

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('household_income_months',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('income_fen', sa.BigInteger(), nullable=False),
    sa.Column('units_milli', sa.BigInteger(), nullable=False),
    sa.Column('shares', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_household_income_months_household_id_households')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_household_income_months')),
    sa.UniqueConstraint('household_id', 'month', name=op.f('uq_household_income_months_household_id_month'))
    )
    with op.batch_alter_table('household_income_months', schema=None) as batch_op:
        batch_op.create_index('ix_household_income_months_month', ['month', 'household_id'], unique=False, postgresql_include=['income_fen', 'units_milli', 'shares'])

    with op.batch_alter_table('ledger_postings', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_postings_household_income', ['posted_at'], unique=False,
                              postgresql_include=['household_id', 'line_id', 'kind', 'amount_fen'],
                              postgresql_where=sa.text("account = 'household_payable'"),
                              sqlite_where=sa.text("account = 'household_payable'"))
    # Fill it from the ledger as post() would have: household_payable settlement and refund postings summed by
    # household and Shanghai month; units are each household's part of the lots a settled line used.
    month = ("to_char(p.posted_at + interval '8 hours', 'YYYY-MM')" if op.get_bind().dialect.name == "postgresql"
             else "strftime('%Y-%m', p.posted_at, '+8 hours')")
    op.execute(f"""
        INSERT INTO household_income_months (household_id, month, income_fen, units_milli, shares)
        SELECT p.household_id, {month}, -SUM(p.amount_fen),
               SUM(CASE WHEN p.kind = 'settlement' THEN COALESCE(u.units, 0) ELSE 0 END),
               SUM(CASE WHEN p.kind = 'settlement' THEN 1 ELSE 0 END)
        FROM ledger_postings p
        LEFT JOIN (SELECT a.line_id, s.household_id, ROUND(SUM(a.units * s.units * 1000.0 / lot.units_received)) AS units
                   FROM allocations a JOIN lot_shares s ON s.lot_id = a.lot_id JOIN supply_lots lot ON lot.id = a.lot_id
                   WHERE a.released_at IS NULL GROUP BY a.line_id, s.household_id) u
          ON u.line_id = p.line_id AND u.household_id = p.household_id
        WHERE p.account = 'household_payable' AND p.kind IN ('settlement', 'refund') AND p.household_id IS NOT NULL
        GROUP BY p.household_id, {month}""")


def downgrade():
    with op.batch_alter_table('ledger_postings', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_postings_household_income')
    with op.batch_alter_table('household_income_months', schema=None) as batch_op:
        batch_op.drop_index('ix_household_income_months_month', postgresql_include=['income_fen', 'units_milli', 'shares'])

    op.drop_table('household_income_months')
