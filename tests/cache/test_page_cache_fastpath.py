"""The page cache's WSGI fast path (shop.pagecache.FastPath): a visitor without cookies gets a stored public page
before Flask runs at all, with exactly the body and headers the app gives a cache hit; anyone else goes through the app."""
import pytest

from shop import pagecache
from tests.catalog.catalog_builders import EN, ZH

SAME = ("Content-Type", "Content-Length", "Cache-Control", "ETag", "Vary", "Content-Security-Policy",
        "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "Permissions-Policy",
        "Strict-Transport-Security")


@pytest.fixture
def app_runs(app, monkeypatch):
    """How many requests reached the app's before_request functions (the fast path skips them)."""
    calls = []
    real = pagecache.serve_from_cache

    def counted():
        calls.append(1)
        return real()

    monkeypatch.setattr(app, "before_request_funcs", {
        bp: [counted if f is real else f for f in funcs] for bp, funcs in app.before_request_funcs.items()})
    return calls


def _headers(resp) -> dict:
    return {name: resp.headers.get(name) for name in SAME}


@pytest.mark.parametrize("url", ["/", "/products", "/products?q=walnut&sort=price_asc", "/coops", "/impact"])
def test_a_visitor_without_cookies_gets_the_apps_answer_without_the_app(app, world, page_cache, app_runs, url,
                                                                       monkeypatch):
    monkeypatch.setitem(app.config, "HSTS_SECONDS", 3600)
    rendered = app.test_client().get(url, headers=EN)
    assert rendered.status_code == 200 and len(app_runs) == 1
    # The same page through the app (a cookie that is not a session sends it there) and through the fast path.
    through_app = app.test_client()
    through_app.set_cookie("unrelated", "1")
    hit = through_app.get(url, headers=EN)
    assert len(app_runs) == 2
    fast = app.test_client().get(url, headers=EN | {"X-Request-ID": "req-42"})
    assert len(app_runs) == 2  # answered before the app
    assert fast.status_code == 200 and fast.data == hit.data == rendered.data
    assert _headers(fast) == _headers(hit) and fast.headers["Strict-Transport-Security"]
    assert fast.headers["X-Request-ID"] == "req-42"
    assert app.test_client().head(url, headers=EN).data == b""


def test_languages_queries_and_etags_on_the_fast_path(app, world, page_cache, app_runs):
    zh = app.test_client().get("/coops", headers=ZH)
    en = app.test_client().get("/coops", headers=EN)
    assert len(app_runs) == 2 and zh.data != en.data
    assert app.test_client().get("/coops", headers=ZH).data == zh.data
    assert app.test_client().get("/coops").data == zh.data  # no Accept-Language: Chinese
    assert len(app_runs) == 2
    not_modified = app.test_client().get("/coops", headers=EN | {"If-None-Match": en.headers["ETag"]})
    assert not_modified.status_code == 304 and not_modified.data == b"" and len(app_runs) == 2
    app.test_client().get("/products?sort=price_asc&q=walnut", headers=EN)
    app.test_client().get("/products?q=walnut&sort=price_asc", headers=EN)  # the same page: a hit
    assert len(app_runs) == 3


def test_pages_with_a_form_sessions_and_changes_go_through_the_app(app, world, page_cache, app_runs):
    from shop.catalog.models import Variant
    from shop.extensions import db

    url = f"/products/{world.product_a}"
    for _ in range(2):  # a product page's add-to-cart form has no token for a visitor without cookies
        resp = app.test_client().get(url, headers=EN)
        assert "Set-Cookie" not in resp.headers and 'name="csrf_token" value=""' in resp.get_data(as_text=True)
    assert len(app_runs) == 1  # the second from the fast path
    visitor = app.test_client()
    visitor.post("/cart/add", data={"variant_id": world.variant_a, "quantity": 1},
                 headers=EN | {"Origin": "http://localhost"})  # now it has a session cookie
    mine = visitor.get(url, headers=EN)
    assert 'name="csrf_token" value=""' not in mine.get_data(as_text=True)  # its own token, from the app
    visitor.get("/products", headers=EN)
    assert len(app_runs) == 4  # and the POST and the two pages of a visitor with a cookie
    with app.app_context():  # a price change makes the stored list stale: it is rendered again
        db.session.get(Variant, world.variant_a).price_fen = 7300
        db.session.commit()
    again = app.test_client().get("/products", headers=EN)
    assert len(app_runs) == 5 and "73.00" in again.get_data(as_text=True)


def test_an_untrusted_host_is_refused_by_the_app(app, world, page_cache, app_runs, monkeypatch):
    monkeypatch.setitem(app.config, "TRUSTED_HOSTS", ["shop.example.cn"])
    good = {"Host": "shop.example.cn"}
    assert app.test_client().get("/coops", headers=EN | good).status_code == 200
    assert app.test_client().get("/coops", headers=EN | good).status_code == 200
    assert len(app_runs) == 1
    assert app.test_client().get("/coops", headers=EN | {"Host": "evil.example"}).status_code == 400


def test_a_change_made_through_another_server_shows_within_the_hot_seconds(app, world, page_cache, app_runs,
                                                                          monkeypatch, redis_url):
    import time

    import redis

    from shop import cache

    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    monkeypatch.setitem(app.config, "PAGE_CACHE_HOT_SECONDS", 0.3)
    app.test_client().get("/coops", headers=EN)
    app.test_client().get("/coops", headers=EN)  # found fresh in Redis: kept in this process
    assert len(app_runs) == 1
    redis.Redis.from_url(redis_url).incr(cache.VERSION_PREFIX + "epoch")  # another server's change
    app.test_client().get("/coops", headers=EN)
    assert len(app_runs) == 1  # still this process's copy
    time.sleep(0.35)
    app.test_client().get("/coops", headers=EN)
    assert len(app_runs) == 2  # stale in Redis now: rendered again
