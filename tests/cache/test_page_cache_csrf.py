"""A cached product page carries each visitor's own CSRF token when they have a session, and one token-less copy
for every visitor without cookies; adding to the cart works from both with CSRF protection on, and a POST from
another site is refused."""
import re

import pytest
from sqlalchemy import func, select

from config import TestConfig
from shop import cache, create_app
from shop.cart.models import CartItem
from shop.pagecache import MARKER
from shop.extensions import db
from tests.catalog.catalog_builders import EN
from tests.factories import log_in, make_user
from tests.cache.test_page_cache import queries
from tests.cache.test_page_cache_invalidation import LISTS, coop_pages

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def csrf_app(app, database_url, tmp_path):
    """The shop with CSRF protection on and the page cache on, on the test database."""
    other = create_app(type("Cfg", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": True,
                                                   "PAGE_CACHE_SECONDS": 300, "UPLOAD_DIR": str(tmp_path)}))
    cache.clear_local()
    yield other
    cache.clear_local()
    with other.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


def _add(client, url, token, variant, origin="http://localhost"):
    headers = EN | ({"Origin": origin} if origin else {})
    return client.post("/cart/add", data={"csrf_token": token, "variant_id": variant, "quantity": 2, "next": url},
                       headers=headers)


def test_a_visitor_with_a_session_gets_their_own_token(csrf_app, world):
    url = f"/products/{world.product_a}"
    first, second = csrf_app.test_client(), csrf_app.test_client()
    for client in (first, second):
        client.get("/account/login", headers=EN)  # a session, with a CSRF token in it
    page1 = first.get(url, headers=EN).get_data(as_text=True)
    count, resp = queries(csrf_app, second, url, headers=EN)
    page2 = resp.get_data(as_text=True)
    assert count == 0  # served from the cache …
    token1, token2 = TOKEN.search(page1).group(1), TOKEN.search(page2).group(1)
    assert token1 != token2 and MARKER not in page1 + page2  # … with the visitor's own token
    assert resp.headers["Cache-Control"] == "private, no-cache" and "ETag" not in resp.headers
    added = _add(second, url, token2, world.variant_a)
    assert added.status_code == 302 and added.headers["Location"].endswith("/cart")
    # A guest with a session may still add from a token-less page (another tab, the back button) …
    assert _add(second, url, "", world.variant_a).status_code == 302
    # … but without an Origin it needs the token, and another visitor's is refused.
    for token in ("", token1):
        refused = _add(second, url, token, world.variant_a, origin="")
        assert refused.status_code == 400 and "The form expired" in refused.get_data(as_text=True)


def test_a_signed_in_user_always_needs_the_token(csrf_app, world):
    with csrf_app.app_context():
        user = make_user()
        db.session.commit()
        user_id = user.id
    client = csrf_app.test_client()
    log_in(client, user_id)
    url = f"/products/{world.product_a}"
    refused = _add(client, url, "", world.variant_a)
    assert refused.status_code == 400 and "The form expired" in refused.get_data(as_text=True)
    remembered = csrf_app.test_client()
    remembered.set_cookie("remember_token", "whatever")
    assert _add(remembered, url, "", world.variant_a).status_code == 400
    token = TOKEN.search(client.get(url, headers=EN).get_data(as_text=True)).group(1)
    assert _add(client, url, token, world.variant_a).status_code == 302


def test_a_visitor_without_cookies_gets_one_public_page_and_adds_from_it(csrf_app, world):
    url = f"/products/{world.product_a}"
    csrf_app.test_client().get(url, headers=EN)  # stored
    visitor = csrf_app.test_client()
    count, resp = queries(csrf_app, visitor, url, headers=EN)
    page = resp.get_data(as_text=True)
    assert count == 0 and TOKEN.search(page) is None and 'name="csrf_token" value=""' in page
    assert "Set-Cookie" not in resp.headers and resp.headers["Cache-Control"] == "public, max-age=30"
    again = csrf_app.test_client().get(url, headers=EN | {"If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304
    # Another site's form, or a POST that names no page it came from, is refused and puts nothing in a cart.
    for origin in ("https://evil.example", "null", "", "http://[", "http://localhost.evil.example"):
        refused = _add(csrf_app.test_client(), url, "", world.variant_a, origin=origin)
        assert refused.status_code == 400 and "The form expired" in refused.get_data(as_text=True), origin
    cross = csrf_app.test_client().post("/cart/add", data={"csrf_token": "", "variant_id": world.variant_a,
                                                            "quantity": 1}, headers=EN | {
        "Origin": "http://localhost", "Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 400
    with csrf_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CartItem)) == 0
    # From the shop's own page (Origin, or only a Referer) the visitor's cart gets the units.
    for headers in ({"Origin": "http://localhost"}, {"Referer": f"http://localhost{url}"}):
        buyer = csrf_app.test_client()
        added = buyer.post("/cart/add", data={"csrf_token": "", "variant_id": world.variant_a, "quantity": 2,
                                              "next": url}, headers=EN | headers)
        assert added.status_code == 302 and added.headers["Location"].endswith("/cart"), headers
        cart = buyer.get("/cart", headers=EN).get_data(as_text=True)
        assert "Added to your cart." in cart and "Walnut 0" in cart


def test_the_same_visitor_keeps_one_session_token(csrf_app, world):
    client = csrf_app.test_client()
    url = f"/products/{world.product_a}"
    client.get("/account/login", headers=EN)
    client.get(url, headers=EN)
    with client.session_transaction() as sess:
        raw = sess["csrf_token"]
    client.get(url, headers=EN)
    with client.session_transaction() as sess:
        assert sess["csrf_token"] == raw


def test_no_public_page_carries_the_placeholder(csrf_app, world):
    client = csrf_app.test_client()
    for url in LISTS + coop_pages(world, "a") + ["/trace/LN-NOPE-2026-00001", "/products/nope"]:
        for _ in range(2):
            assert MARKER.encode() not in client.get(url, headers=EN).data, url
