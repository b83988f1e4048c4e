"""The shop's caches: in Redis when REDIS_URL is set, so every worker shares one copy, otherwise in this process
(bounded). Two users: figures that many visitors read and that change slowly (the public impact figures,
`cached`), and whole public pages with their version counters (shop/pagecache.py).

Redis down never fails a request: `cached` computes directly, and the page functions raise CacheUnavailable so
that the page cache renders normally; both log a warning."""
import json
import threading
from collections import OrderedDict
from time import monotonic
from typing import Callable

import redis
from flask import current_app

REDIS_TIMEOUT_S = 1
LOCAL_PAGES_MAX = 512  # pages kept in one process without Redis (least recently used dropped first)
PAGE_PREFIX = "shop:page:"
VERSION_PREFIX = "shop:pagever:"
_clients: dict[str, redis.Redis] = {}
_local: dict[str, tuple[float, str]] = {}
_pages: "OrderedDict[str, tuple[float, bytes]]" = OrderedDict()
_versions: dict[str, int] = {}
_hot: "OrderedDict[str, tuple[float, object]]" = OrderedDict()  # pages checked fresh in the last second or so
_lock = threading.Lock()


class CacheUnavailable(Exception):
    """Redis did not answer; the caller renders without the cache."""


def redis_client(url: str) -> redis.Redis:
    """One client (and connection pool) per Redis URL for the whole process, with short timeouts so that
    a Redis that does not answer holds a request for a second at most."""
    with _lock:
        client = _clients.get(url)
        if client is None:
            client = _clients[url] = redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT_S,
                                                          socket_timeout=REDIS_TIMEOUT_S)
        return client


def _redis() -> redis.Redis | None:
    url = current_app.config.get("REDIS_URL")
    return redis_client(url) if url else None


def clear_local() -> None:
    """Forget every value, page and version kept in this process (tests, and after demo data is loaded)."""
    with _lock:
        _local.clear()
        _pages.clear()
        _versions.clear()
        _hot.clear()


# --- Figures ------------------------------------------------------------------------------------------------

def cached(key: str, seconds: int, compute: Callable[[], object]):
    """Return the value cached under key if it is younger than `seconds`, else compute, store and return it.
    Values are JSON. seconds <= 0 switches the cache off."""
    if seconds <= 0:
        return compute()
    client = _redis()
    if client is not None:
        return _through_redis(client, key, seconds, compute)
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


# --- Pages and their versions ---------------------------------------------------------------------------------

def _unavailable(error: Exception, what: str) -> CacheUnavailable:
    current_app.logger.warning("Redis unavailable for the page cache (%s, %s): rendering directly", what,
                               type(error).__name__)
    return CacheUnavailable(what)


# One round trip for a cache hit: the page, one counter, and the counters the page was stored under (named in
# the JSON object "v" of its first line, as shop/pagecache.py packs it), read together by the server.
_GET_PAGE_LUA = """
local page = redis.call('GET', KEYS[1])
local also = redis.call('GET', ARGV[1] .. ARGV[2])
if not page then return {false, also, false} end
local ok, head = pcall(cjson.decode, string.sub(page, 1, (string.find(page, '\\n', 1, true) or 1) - 1))
if not ok or type(head) ~= 'table' or type(head.v) ~= 'table' then return {page, also, false} end
local now = {}
for name, _ in pairs(head.v) do now[name] = tonumber(redis.call('GET', ARGV[1] .. name)) or 0 end
return {page, also, cjson.encode(now)}
"""
_scripts: dict[int, object] = {}


def _page_versions(raw: bytes) -> list[str] | None:
    try:
        return list(json.loads(raw.partition(b"\n")[0])["v"])
    except (ValueError, KeyError, TypeError):
        return None


def get_page(key: str, also_version: str) -> tuple[bytes | None, int, dict[str, int] | None]:
    """Return the stored bytes under key (None if absent or expired), the current value of one version counter,
    and the current values of the counters the page names in its first line (None if it names none): one round
    trip to Redis."""
    client = _redis()
    if client is None:
        now = monotonic()
        with _lock:
            hit = _pages.get(key)
            if hit and hit[0] <= now:
                del _pages[key]
                hit = None
            elif hit:
                _pages.move_to_end(key)
            raw = hit[1] if hit else None
            names = _page_versions(raw) if raw is not None else None
            return raw, _versions.get(also_version, 0), \
                None if names is None else {name: _versions.get(name, 0) for name in names}
    script = _scripts.get(id(client))
    if script is None:
        script = _scripts[id(client)] = client.register_script(_GET_PAGE_LUA)
    try:
        raw, version, now = script(keys=[PAGE_PREFIX + key], args=[VERSION_PREFIX, also_version])
    except (redis.RedisError, OSError) as error:
        raise _unavailable(error, "read") from error
    versions = None
    if now:
        decoded = json.loads(now)
        versions = decoded if isinstance(decoded, dict) else {}  # cjson writes an empty object as []
    return raw or None, int(version or 0), versions


def set_page(key: str, data: bytes, seconds: int, local_seconds: int) -> None:
    """Store bytes under key for `seconds` in Redis, or `local_seconds` in this process (whose versions only
    this process bumps, so a change made by another process shows after at most that long)."""
    client = _redis()
    if client is None:
        with _lock:
            _pages[key] = (monotonic() + min(seconds, local_seconds), data)
            _pages.move_to_end(key)
            while len(_pages) > LOCAL_PAGES_MAX:
                _pages.popitem(last=False)
        return
    try:
        client.set(PAGE_PREFIX + key, data, ex=seconds)
    except (redis.RedisError, OSError) as error:
        raise _unavailable(error, "write") from error


def get_versions(names: list[str]) -> dict[str, int]:
    """Return the current value of each version counter (0 if it was never bumped)."""
    client = _redis()
    if client is None:
        with _lock:
            return {name: _versions.get(name, 0) for name in names}
    try:
        values = client.mget([VERSION_PREFIX + name for name in names]) if names else []
    except (redis.RedisError, OSError) as error:
        raise _unavailable(error, "versions") from error
    return {name: int(value or 0) for name, value in zip(names, values)}


def hot_get(key: str):
    """A page this process found fresh less than PAGE_CACHE_HOT_SECONDS ago, or None."""
    with _lock:
        hit = _hot.get(key)
        if hit is None:
            return None
        if hit[0] <= monotonic():
            del _hot[key]
            return None
        return hit[1]


def hot_put(key: str, seconds: float, value) -> None:
    with _lock:
        _hot[key] = (monotonic() + seconds, value)
        _hot.move_to_end(key)
        while len(_hot) > LOCAL_PAGES_MAX:
            _hot.popitem(last=False)


def bump_versions(names: set[str]) -> None:
    """Add one to each version counter: every page stored under an older value stops being served."""
    with _lock:
        _hot.clear()  # this process's own changes show at once
    client = _redis()
    if client is None:
        with _lock:
            for name in names:
                _versions[name] = _versions.get(name, 0) + 1
        return
    try:
        pipe = client.pipeline(transaction=False)
        for name in sorted(names):
            pipe.incr(VERSION_PREFIX + name)
        pipe.execute()
    except (redis.RedisError, OSError) as error:
        raise _unavailable(error, "bump") from error
