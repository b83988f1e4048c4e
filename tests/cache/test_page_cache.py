"""Public pages from the cache: the second anonymous request costs no query; signed-in users, flash messages
and other languages are never served someone else's copy; ETag and 304; Redis down still answers."""
import re

from shop import cache
from shop.extensions import db
from tests.catalog.catalog_builders import EN, ZH
from tests.factories import log_in, quick_user
from tests.querycount import count_queries

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def urls(world) -> list[str]:
    return ["/", "/products", "/products?sort=price_asc&q=walnut", f"/products/{world.product_a}", "/coops",
            f"/coops/{world.coop_a_slug}", f"/trace/{world.trace_a}", "/impact"]


def queries(app, client, url: str, **kw) -> tuple[int, object]:
    with app.app_context():
        engine = db.engine
    with count_queries(engine) as statements:
        resp = client.get(url, **kw)
    return len(statements), resp


def without_tokens(body: str) -> str:
    return TOKEN.sub("", body)


def test_the_second_anonymous_request_makes_no_query(app, world, page_cache):
    for url in urls(world):
        first, resp = queries(app, app.test_client(), url, headers=EN)
        assert resp.status_code == 200 and first > 0, url
        second, again = queries(app, app.test_client(), url, headers=EN)  # another visitor, no cookie
        assert second == 0, url
        assert without_tokens(again.get_data(as_text=True)) == without_tokens(resp.get_data(as_text=True))


def test_query_order_does_not_matter_but_the_query_does(app, world, page_cache):
    client = app.test_client()
    client.get("/products?sort=price_asc&q=walnut", headers=EN)
    assert queries(app, client, "/products?q=walnut&sort=price_asc", headers=EN)[0] == 0
    assert queries(app, client, "/products?q=walnut&sort=price_desc", headers=EN)[0] > 0


def test_cache_off_renders_every_time(app, world):
    client = app.test_client()
    client.get("/products", headers=EN)
    assert queries(app, client, "/products", headers=EN)[0] > 0


def test_a_signed_in_user_is_never_served_the_cached_page(app, world, page_cache):
    anonymous = app.test_client()
    url = f"/products/{world.product_a}"
    anonymous.get(url, headers=EN)
    with app.app_context():
        user_id = quick_user().id
        db.session.commit()
    buyer = app.test_client()
    log_in(buyer, user_id)
    count, resp = queries(app, buyer, url, headers=EN)
    page = resp.get_data(as_text=True)
    assert count > 0 and "Log out" in page and "My orders" in page
    assert resp.headers["Cache-Control"] == "no-store" and "ETag" not in resp.headers
    # The buyer adds to the cart and sees it; the buyer's page was not stored for anybody else.
    buyer.post("/cart/add", data={"variant_id": world.variant_a, "quantity": 2, "next": url})
    assert "Walnut 0" in buyer.get("/cart", headers=EN).get_data(as_text=True)
    count, other = queries(app, app.test_client(), url, headers=EN)
    assert count == 0 and "Log out" not in other.get_data(as_text=True)


def test_a_flash_message_is_shown_to_its_visitor_only(app, world, page_cache):
    url = f"/products/{world.product_a}"
    app.test_client().get(url, headers=EN)
    visitor = app.test_client()
    visitor.post("/cart/add", data={"variant_id": world.variant_a, "quantity": 50, "next": url}, headers=EN)
    count, resp = queries(app, visitor, url, headers=EN)
    assert count > 0 and "Only 9 left" in resp.get_data(as_text=True)
    count, other = queries(app, app.test_client(), url, headers=EN)
    assert count == 0 and "Only 9 left" not in other.get_data(as_text=True)
    # The visitor's guest cart does not stop the cache: no cached page shows the cart.
    visitor.post("/cart/add", data={"variant_id": world.variant_a, "quantity": 1, "next": url})
    visitor.get("/cart")  # reads the flash
    assert queries(app, visitor, url, headers=EN)[0] == 0


def test_languages_are_cached_apart(app, world, page_cache):
    client = app.test_client()
    en = client.get("/products", headers=EN).get_data(as_text=True)
    zh = client.get("/products", headers=ZH).get_data(as_text=True)
    assert '<html lang="en">' in en and '<html lang="zh-CN">' in zh
    for headers, body in ((EN, en), (ZH, zh)):
        count, resp = queries(app, app.test_client(), "/products", headers=headers)
        assert count == 0 and resp.get_data(as_text=True) == body
    switched = app.test_client()
    switched.get("/lang/en")  # the language switch (a session key) picks the English copy
    count, resp = queries(app, switched, "/products", headers=ZH)
    assert count == 0 and resp.get_data(as_text=True) == en


def test_etag_and_304_for_pages_without_a_form(app, world, page_cache):
    client = app.test_client()
    resp = client.get("/coops", headers=EN)
    etag = resp.headers["ETag"]
    assert resp.headers["Cache-Control"] == "public, max-age=30"
    assert {"Accept-Language", "Cookie"} <= {v.strip() for v in resp.headers["Vary"].split(",")}
    count, again = queries(app, app.test_client(), "/coops", headers=EN | {"If-None-Match": etag})
    assert count == 0 and again.status_code == 304 and again.data == b""
    stale = app.test_client().get("/coops", headers=EN | {"If-None-Match": '"something-else"'})
    assert stale.status_code == 200 and stale.headers["ETag"] == etag


def test_pages_with_a_form_are_private_and_have_no_etag_for_a_visitor_with_a_session(app, world, page_cache):
    client = app.test_client()
    client.set_cookie("session", "x")  # any cookie: the page may be for this visitor alone
    resp = client.get(f"/products/{world.product_a}", headers=EN)
    assert resp.headers["Cache-Control"] == "private, no-cache" and "ETag" not in resp.headers


def test_redis_down_still_answers(app, world, page_cache, monkeypatch, dead_redis_url):
    monkeypatch.setitem(app.config, "REDIS_URL", dead_redis_url)
    client = app.test_client()
    for url in urls(world):
        assert client.get(url, headers=EN).status_code == 200, url
        count, resp = queries(app, client, url, headers=EN)
        assert resp.status_code == 200 and count > 0, url  # rendered, not served from a cache
    with app.app_context():  # a change committed with Redis down commits
        from shop.catalog.models import Variant
        db.session.get(Variant, world.variant_a).price_fen = 7100
        db.session.commit()
    assert "71.00" in client.get(f"/products/{world.product_a}", headers=EN).get_data(as_text=True)


def test_with_redis_every_worker_shares_the_pages(app, world, page_cache, monkeypatch, redis_url):
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    url = f"/products/{world.product_a}"
    app.test_client().get(url, headers=EN)
    cache.clear_local()  # nothing kept in this process: the copy comes from Redis
    assert queries(app, app.test_client(), url, headers=EN)[0] == 0
    with app.app_context():
        from shop.catalog.models import Variant
        db.session.get(Variant, world.variant_a).price_fen = 7200
        db.session.commit()
    count, resp = queries(app, app.test_client(), url, headers=EN)
    assert count > 0 and "72.00" in resp.get_data(as_text=True)
    assert queries(app, app.test_client(), f"/products/{world.product_b}", headers=EN)[1].status_code == 200


def test_static_files_are_versioned_and_kept_a_year(app, world):
    page = app.test_client().get("/products", headers=EN).get_data(as_text=True)
    href = re.search(r'href="(/static/css/shop\.css\?v=([0-9a-f]{12}))"', page)
    assert href, "the style sheet's address carries its version"
    with open(f"{app.static_folder}/css/shop.css", "rb") as f:
        import hashlib
        assert hashlib.sha256(f.read()).hexdigest()[:12] == href.group(2)
    client = app.test_client()
    with client.get(href.group(1)) as current:
        assert current.status_code == 200
        assert current.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    for url in ("/static/css/shop.css", "/static/css/shop.css?v=000000000000"):  # no or an old version
        with client.get(url) as resp:
            assert resp.status_code == 200 and "immutable" not in resp.headers.get("Cache-Control", ""), url
