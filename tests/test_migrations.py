"""The schema comes only from migrations: upgrade from empty, downgrade, and no drift from the models."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from shop.extensions import db
from tests.conftest import fresh_app


def test_models_and_migrations_do_not_drift(ctx):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
    assert diff == []


def test_upgrade_from_empty_then_downgrade_to_nothing(tmp_path):
    with fresh_app(tmp_path) as app, app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"cooperatives", "households", "supply_lots", "lot_shares", "variants"} <= tables
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
