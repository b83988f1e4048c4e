"""A few minutes' cache for figures that many visitors read and that change slowly (the public impact
page): in Redis when REDIS_URL is set, so every worker shares one copy, otherwise in this process.
Values are JSON. Redis down never fails a page: the figures are then computed directly, with a warning."""
import json
import threading
from time import monotonic
from typing import Callable

import redis
from flask import current_app

REDIS_TIMEOUT_S = 1
_clients: dict[str, redis.Redis] = {}
_local: dict[str, tuple[float, str]] = {}
_lock = threading.Lock()


def redis_client(url: str) -> redis.Redis:
    """One client (and connection pool) per Redis URL for the whole process, with short timeouts so that
    a Redis that does not answer holds a request for a second at most."""
    with _lock:
        client = _clients.get(url)
        if client is None:
            client = _clients[url] = redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT_S,
                                                          socket_timeout=REDIS_TIMEOUT_S)
        return client


def clear_local() -> None:
    """Forget every value cached in this process (tests, and after demo data is loaded)."""
    with _lock:
        _local.clear()


def cached(key: str, seconds: int, compute: Callable[[], object]):
    """Return the value cached under key if it is younger than `seconds`, else compute, store and return it.
    seconds <= 0 switches the cache off."""
    if seconds <= 0:
        return compute()
    url = current_app.config.get("REDIS_URL")
    if url:
        return _through_redis(redis_client(url), key, seconds, compute)
    now = monotonic()
    with _lock:
        hit = _local.get(key)
    if hit and hit[0] > now:
        return json.loads(hit[1])
    value = compute()
    with _lock:
        _local[key] = (now + seconds, json.dumps(value))
    return value


def _through_redis(client: redis.Redis, key: str, seconds: int, compute: Callable[[], object]):
    try:
        raw = client.get(key)
    except (redis.RedisError, OSError) as error:
        current_app.logger.warning("Redis unavailable for the %s cache (%s): computing directly", key,
                                   type(error).__name__)
        return compute()
    if raw is not None:
        try:
            return json.loads(raw)
        except ValueError:
            pass  # not ours, or cut short: compute it again
    value = compute()
    try:
        client.set(key, json.dumps(value), ex=seconds)
    except (redis.RedisError, OSError) as error:
        current_app.logger.warning("Redis unavailable for the %s cache (%s)", key, type(error).__name__)
    return value
