"""Configuration, read from the environment. See README.md for every variable."""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("SHOP_INSTANCE_DIR", BASE_DIR / "instance"))
DEV_SECRET = "dev-only-not-secret"  # noqa: S105 - refused by ProductionConfig
DEV_DATA_KEY = "dev-only-data-key-not-secret"  # noqa: S105 - refused by ProductionConfig


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET)
    # Encrypts household registry codes and phones and bank accounts at rest (shop/crypto.py);
    # DATA_KEYS_OLD (comma-separated) are earlier keys still read during a rotation.
    DATA_KEY = os.environ.get("DATA_KEY", DEV_DATA_KEY)
    DATA_KEYS_OLD = tuple(k.strip() for k in os.environ.get("DATA_KEYS_OLD", "").split(",") if k.strip())
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'shop.sqlite3'}")
    # hide_parameters: a failed statement's values (emails, addresses) never reach the log.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
    REDIS_URL = os.environ.get("REDIS_URL", "")
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or os.environ.get("REDIS_URL") or "memory://"
    # A Redis that does not answer must not hold a request for long (then limits fall back to memory).
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}
    RATELIMIT_ENABLED = os.environ.get("RATELIMIT_ENABLED", "1") == "1"
    # How many reverse proxies in front of the shop to trust for X-Forwarded-For/-Proto; 0 trusts none.
    PROXY_COUNT = _int("PROXY_COUNT", 0)
    HSTS_SECONDS = 0  # Strict-Transport-Security, production only

    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
    # For tests and local development only: a Stripe-compatible server.
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")
    STRIPE_WALLETS = os.environ.get("STRIPE_WALLETS", "") == "1"
    STRIPE_TIMEOUT_SECONDS = _int("STRIPE_TIMEOUT_SECONDS", 8)

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    # "console": never send, only log who a mail was for and its subject (never its body).
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "")
    MAIL_PORT = _int("MAIL_PORT", 587)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "1") == "1"
    MAIL_FROM = os.environ.get("MAIL_FROM", "shop@localhost")

    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    MAX_CONTENT_LENGTH = _int("MAX_UPLOAD_BYTES", 8 * 1024 * 1024)
    # Photos with more pixels are refused from their header, before any decoding.
    MAX_IMAGE_PIXELS = _int("MAX_IMAGE_PIXELS", 40_000_000)

    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh", "en")

    # Unpaid orders release their units after this many minutes; never under 31,
    # because a Stripe Checkout session lives at least 30 minutes.
    ORDER_EXPIRY_MINUTES = max(31, _int("ORDER_EXPIRY_MINUTES", 35))
    AUTO_DELIVER_DAYS = _int("AUTO_DELIVER_DAYS", 10)
    REFUND_WINDOW_DAYS = _int("REFUND_WINDOW_DAYS", 7)
    # A cooperative is paid once its settled, unpaid balance reaches this much (fen).
    PAYOUT_MINIMUM_FEN = _int("PAYOUT_MINIMUM_FEN", 10_000)
    PER_PAGE = 12
    # How long the public impact figures (/impact, /impact.json) are cached: in Redis with REDIS_URL, else
    # in each process. 0 computes them on every request.
    IMPACT_CACHE_SECONDS = _int("IMPACT_CACHE_SECONDS", 300)
    # Public pages for visitors who are not signed in (shop/pagecache.py): kept this long in Redis with
    # REDIS_URL (changes render them again at once), else at most PAGE_CACHE_LOCAL_SECONDS in each process
    # (a change made by another process shows after that long). Browsers may keep a page PAGE_CACHE_MAX_AGE
    # seconds. PAGE_CACHE_SECONDS=0 switches the page cache off.
    PAGE_CACHE_SECONDS = _int("PAGE_CACHE_SECONDS", 300)
    PAGE_CACHE_LOCAL_SECONDS = _int("PAGE_CACHE_LOCAL_SECONDS", 30)
    PAGE_CACHE_MAX_AGE = _int("PAGE_CACHE_MAX_AGE", 30)
    # A page a worker found fresh is served from its memory this long without asking Redis (shop.pagecache.FastPath).
    PAGE_CACHE_HOT_SECONDS = _int("PAGE_CACHE_HOT_SECONDS", 1)
    # Finished orders' shipping addresses are removed this long after the order (orders purge-addresses).
    ADDRESS_RETENTION_DAYS = _int("ADDRESS_RETENTION_DAYS", 3 * 365)
    # Host names the shop answers to (comma-separated). Links in e-mails and QR codes use PUBLIC_BASE_URL
    # (e.g. https://shop.example.cn), else the first of these hosts; never the request's Host header.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "").rstrip("/")
    TRUSTED_HOSTS = [h.strip() for h in os.environ.get("TRUSTED_HOSTS", "").split(",") if h.strip()] or None
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_HTTPONLY = True


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"  # noqa: S105
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = False
    REDIS_URL = ""
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_ENABLED = False
    STRIPE_SECRET_KEY = ""
    STRIPE_WEBHOOK_SECRET = ""
    MAIL_SERVER = ""
    IMPACT_CACHE_SECONDS = 0  # every test sees its own data; the cache tests switch it on
    PAGE_CACHE_SECONDS = 0  # tables are emptied between tests behind the ORM's back; tests/cache switches it on


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    HSTS_SECONDS = 365 * 24 * 3600

    @classmethod
    def check(cls) -> None:
        """Refuse to start without a real secret key and database."""
        problems = []
        if not os.environ.get("SECRET_KEY") or os.environ["SECRET_KEY"] == DEV_SECRET:
            problems.append("SECRET_KEY is missing or the development default; set a long random value")
        if len(os.environ.get("DATA_KEY", "")) < 32 or os.environ["DATA_KEY"] == DEV_DATA_KEY:
            problems.append("DATA_KEY is missing or too short; set a random value of at least 32 characters "
                            "(it encrypts household and bank data; keep it apart from database backups)")
        if not os.environ.get("TRUSTED_HOSTS"):
            problems.append("TRUSTED_HOSTS is missing; list the shop's host names (reset links use them)")
        if not (os.environ.get("STRIPE_SECRET_KEY") and os.environ.get("STRIPE_WEBHOOK_SECRET")):
            problems.append("STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET are missing; without them buyers "
                            "could mark orders paid with the demonstration payment")
        if not os.environ.get("DATABASE_URL"):
            problems.append("DATABASE_URL is missing; production needs PostgreSQL "
                            "(postgresql+psycopg://user:pass@host/db)")
        if not os.environ.get("MAIL_SERVER") and os.environ.get("MAIL_BACKEND") != "console":
            problems.append("MAIL_SERVER is missing; buyers could not reset passwords nor managers be invited "
                            "(set MAIL_BACKEND=console to run without mail on purpose)")
        if problems:
            raise RuntimeError("Refusing to start in production: " + "; ".join(problems))


CONFIGS = {"development": Config, "testing": TestConfig, "production": ProductionConfig}
