"""ledger indexes: covering indexes for the earnings page and ledger check at scale

The cooperative index leads with what the earnings report groups by (account, kind, household, posted
time) and the line index with what `ledger check` groups by (line, household, account); with the amounts
included (PostgreSQL INCLUDE; SQLite builds them without), both are read in order from the index alone.
The transaction index includes the amount, so that balancing every transaction reads the index alone
too. They replace the cooperative, line and transaction indexes of 0005. See docs/PERFORMANCE.md.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 02:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_ledger_postings_coop_account_posted', table_name='ledger_postings')
    op.drop_index('ix_ledger_postings_line_id', table_name='ledger_postings')
    op.drop_index('ix_ledger_postings_txn_id', table_name='ledger_postings')
    op.create_index('ix_ledger_postings_coop_report', 'ledger_postings',
                    ['coop_id', 'account', 'kind', 'household_id', 'posted_at'], unique=False,
                    postgresql_include=['line_id', 'amount_fen'])
    op.create_index('ix_ledger_postings_line_household_account', 'ledger_postings',
                    ['line_id', 'household_id', 'account'], unique=False, postgresql_include=['kind', 'amount_fen'])
    op.create_index('ix_ledger_postings_txn_id', 'ledger_postings', ['txn_id'], unique=False,
                    postgresql_include=['amount_fen'])


def downgrade():
    op.drop_index('ix_ledger_postings_txn_id', table_name='ledger_postings')
    op.drop_index('ix_ledger_postings_line_household_account', table_name='ledger_postings')
    op.drop_index('ix_ledger_postings_coop_report', table_name='ledger_postings')
    op.create_index('ix_ledger_postings_txn_id', 'ledger_postings', ['txn_id'], unique=False)
    op.create_index('ix_ledger_postings_line_id', 'ledger_postings', ['line_id'], unique=False)
    op.create_index('ix_ledger_postings_coop_account_posted', 'ledger_postings', ['coop_id', 'account', 'posted_at'],
                    unique=False)
