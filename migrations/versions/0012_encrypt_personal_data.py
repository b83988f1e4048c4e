"""Encrypt household registry codes and phones and bank account numbers at rest; blind index for codes

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 15:00:00.000000

Existing rows are encrypted here with the installation's DATA_KEY (shop/crypto.py), so run it with the
production settings in the environment. The downgrade decrypts them again.
"""
from alembic import op
import sqlalchemy as sa

from shop.crypto import blind_index, decrypt, encrypt

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# table, column: every value the application now stores encrypted
ENCRYPTED = (("households", "registry_code"), ("households", "phone"),
             ("cooperatives", "bank_account_no"), ("payouts", "bank_account_no"))


def _rewrite(change):
    """Apply change(value, purpose) to every non-empty value of the encrypted columns."""
    conn = op.get_bind()
    for table, column in ENCRYPTED:
        rows = conn.execute(sa.text(f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL AND {column} <> ''"))
        for row_id, value in rows.all():
            conn.execute(sa.text(f"UPDATE {table} SET {column} = :v WHERE id = :id"),
                         {"v": change(value, f"{table}.{column}"), "id": row_id})


def _retype(make_type):
    """Ciphertext is longer than the values were (SQLite rebuilds the tables to say so)."""
    for table, column in ENCRYPTED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, type_=make_type(column))


def upgrade():
    _retype(lambda column: sa.Text())
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.drop_constraint('uq_households_registry_code', type_='unique')
        batch_op.add_column(sa.Column('registry_code_index', sa.String(length=64), nullable=True))
    conn = op.get_bind()
    for row_id, code in conn.execute(sa.text("SELECT id, registry_code FROM households")).all():
        conn.execute(sa.text("UPDATE households SET registry_code_index = :i WHERE id = :id"),
                     {"i": blind_index(code), "id": row_id})
    _rewrite(encrypt)
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_households_registry_code_index'), ['registry_code_index'])


def downgrade():
    _rewrite(decrypt)
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_households_registry_code_index'), type_='unique')
        batch_op.drop_column('registry_code_index')
        batch_op.create_unique_constraint('uq_households_registry_code', ['registry_code'])
    lengths = {"registry_code": 30, "phone": 20, "bank_account_no": 34}
    _retype(lambda column: sa.String(length=lengths[column]))
