"""The schema comes only from migrations: upgrade from empty, downgrade, and no drift from the models."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from config import TestConfig
from shop import create_app
from shop.extensions import db
from tests.conftest import fresh_database_url


def test_models_and_migrations_do_not_drift(ctx):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
    assert diff == []


@pytest.fixture
def empty_database(tmp_path):
    with fresh_database_url(tmp_path) as url:
        yield url


def test_upgrade_from_empty_then_downgrade_to_nothing(empty_database, tmp_path):
    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = empty_database
        UPLOAD_DIR = str(tmp_path / "uploads")

    app = create_app(Cfg)
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"cooperatives", "households", "supply_lots", "lot_shares", "variants"} <= tables
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()
