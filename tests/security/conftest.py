"""Extra apps for the security tests: one with settings changed, one configured as in production."""
import pytest

from config import ProductionConfig, TestConfig
from shop import create_app
from shop.extensions import db, limiter
from tests.security.settings import PRODUCTION_ENV


def _dispose(app) -> None:
    with app.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


@pytest.fixture
def make_app(app, database_url, tmp_path):
    """Build another app on the test database with some settings changed (needs the migrated `app`)."""
    made = []

    def build(base=TestConfig, **settings):
        settings = {"SQLALCHEMY_DATABASE_URI": database_url, "UPLOAD_DIR": str(tmp_path / "uploads")} | settings
        made.append(create_app(type("Cfg", (base,), settings)))
        return made[-1]

    yield build
    for other in made:
        _dispose(other)
    # The limiter is one object shared by every app: switch it back off for the other tests (each app that
    # turns it on gets fresh storage), and forget a Redis found dead, or the next app would count in two stores.
    limiter.enabled = False
    limiter._storage_dead = False


@pytest.fixture
def production_app(make_app, monkeypatch):
    """The shop as configured for production (ProductionConfig and its checks), on the test database."""
    for key, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(key, value)
    return make_app(ProductionConfig, TRUSTED_HOSTS=["shop.example"], SECRET_KEY="x" * 40, MAIL_SERVER="smtp.example",
                    RATELIMIT_ENABLED=False, RATELIMIT_STORAGE_URI="memory://", REDIS_URL="")
