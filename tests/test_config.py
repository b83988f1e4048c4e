"""Production refuses to start on development defaults, and says why."""
import pytest

from config import DEV_DATA_KEY, DEV_SECRET, ProductionConfig
from shop import create_app

GOOD = {"SECRET_KEY": "x" * 40, "DATABASE_URL": "postgresql+psycopg://shop@db/shop", "TRUSTED_HOSTS": "shop.example",
        "STRIPE_SECRET_KEY": "sk_live_x", "STRIPE_WEBHOOK_SECRET": "whsec_x", "MAIL_SERVER": "smtp.example",
        "DATA_KEY": "k" * 40}


@pytest.mark.parametrize("missing, words", [("SECRET_KEY", "SECRET_KEY"), ("DATABASE_URL", "DATABASE_URL"),
                                            ("TRUSTED_HOSTS", "TRUSTED_HOSTS"), ("DATA_KEY", "DATA_KEY"),
                                            ("STRIPE_WEBHOOK_SECRET", "demonstration payment")])
def test_production_refuses_missing_settings(monkeypatch, missing, words):
    for key, value in GOOD.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv(missing)
    with pytest.raises(RuntimeError, match=words):
        ProductionConfig.check()


def test_production_refuses_the_development_secret(monkeypatch):
    for key, value in GOOD.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SECRET_KEY", DEV_SECRET)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")


def test_production_starts_with_real_settings(monkeypatch):
    for key, value in GOOD.items():
        monkeypatch.setenv(key, value)
    ProductionConfig.check()


@pytest.mark.parametrize("key", [DEV_DATA_KEY, "short-key"])
def test_production_refuses_the_development_or_a_short_data_key(monkeypatch, key):
    for name, value in GOOD.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DATA_KEY", key)
    with pytest.raises(RuntimeError, match="DATA_KEY"):
        ProductionConfig.check()
