"""What /healthz checks: the database (the shop cannot sell without it) and Redis (it can, degraded)."""
import redis
from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from shop.extensions import db

REDIS_TIMEOUT_S = 1


def database_status() -> str:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return "unavailable"
    return "ok"


def redis_status() -> str | None:
    """Return "ok" or "degraded" (rate limits fall back to each worker), or None when REDIS_URL is unset."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    try:
        with redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT_S, socket_timeout=REDIS_TIMEOUT_S) as r:
            r.ping()
    except (redis.RedisError, OSError):
        return "degraded"
    return "ok"
