"""Fixtures: one migrated database per run (SQLite, or PostgreSQL with TEST_DATABASE_URL),
emptied after every test; the app; a test client; an app context for service tests."""
import os
import shutil
import socket
import subprocess
import time
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, make_url, text

from config import TestConfig
from shop import create_app
from shop.extensions import db as _db

IN_CI = os.environ.get("CI") == "true"


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives a real Chromium")
    config.addinivalue_line("markers", "postgres: needs PostgreSQL")
    config.addinivalue_line("markers", "load: two gunicorn servers under load and faults (PostgreSQL, Redis)")
    if IN_CI and not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql") \
            and os.environ.get("SHOP_SUITE") == "postgres":
        raise pytest.UsageError("CI: the PostgreSQL suite needs TEST_DATABASE_URL")


def _fresh_database(base_url: str):
    """Create a uniquely named database next to TEST_DATABASE_URL's; return its URL and a dropper."""
    url = make_url(base_url)
    name = f"shop_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


@contextmanager
def fresh_database_url(folder):
    """Yield the URL of a new empty database: PostgreSQL with TEST_DATABASE_URL, else SQLite in folder."""
    base = os.environ.get("TEST_DATABASE_URL", "")
    if base.startswith("postgresql"):
        url, drop = _fresh_database(base)
        yield url
        drop()
    else:
        yield f"sqlite:///{folder / 'test.sqlite3'}"


@contextmanager
def fresh_app(folder):
    """Yield an app on a new empty database (no schema: the caller migrates or creates it); its
    connections are closed before the database is dropped."""
    with fresh_database_url(folder) as url:

        class Cfg(TestConfig):
            SQLALCHEMY_DATABASE_URI = url
            UPLOAD_DIR = str(folder / "uploads")

        app = create_app(Cfg)
        try:
            yield app
        finally:
            with app.app_context():
                _db.session.remove()
                for engine in _db.engines.values():
                    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    with fresh_database_url(tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    from flask_migrate import upgrade

    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        # Room for the concurrency tests' 30 simultaneous buyers.
        SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": 5, "max_overflow": 45, "pool_timeout": 10, "pool_pre_ping": True}
        UPLOAD_DIR = str(tmp_path_factory.mktemp("uploads"))

    app = create_app(Cfg)
    with app.app_context():
        upgrade()  # the schema comes from the migrations, so every run tests them
    yield app
    with app.app_context():
        for engine in _db.engines.values():
            engine.dispose()


@pytest.fixture(autouse=True)
def _empty_tables(request):
    """Empty every table after each test that used the database."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        _db.session.remove()
        with _db.engine.begin() as conn:
            for table in reversed(_db.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture
def ctx(app):
    """An app context for calling services directly (never around test-client requests)."""
    with app.app_context():
        yield _db.session
        _db.session.rollback()
        _db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def is_postgres(database_url):
    return database_url.startswith("postgresql")


@pytest.fixture
def needs_postgres(database_url):
    if not database_url.startswith("postgresql"):
        if IN_CI and os.environ.get("SHOP_SUITE") == "postgres":
            pytest.fail("CI: PostgreSQL suite is running without PostgreSQL")
        pytest.skip("needs PostgreSQL (set TEST_DATABASE_URL)")


def free_port() -> int:
    """A loopback port nobody listens on (yet)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def outbox(app):
    """The mails the app sent during the test (app.testing keeps them in app.extensions["outbox"])."""
    box = app.extensions.setdefault("outbox", [])
    box.clear()
    yield box
    box.clear()


@pytest.fixture
def redis_url(tmp_path):
    """A redis-server of the test's own on a free port (skipped where none is installed)."""
    server = shutil.which("redis-server")
    if not server:
        pytest.skip("needs redis-server")
    import redis

    port = free_port()
    proc = subprocess.Popen([server, "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(50):
        try:
            redis.Redis.from_url(url).ping()
            break
        except redis.ConnectionError:
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(timeout=10)
