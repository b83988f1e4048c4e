"""A cached product page carries each visitor's own CSRF token, and adding to the cart from it works with CSRF
protection on, from a first visit without any cookie."""
import re

import pytest

from config import TestConfig
from shop import cache, create_app
from shop.pagecache import MARKER
from shop.extensions import db
from tests.catalog.catalog_builders import EN
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


def test_every_visitor_gets_their_own_token_and_can_add_to_the_cart(csrf_app, world):
    url = f"/products/{world.product_a}"
    first, second = csrf_app.test_client(), csrf_app.test_client()
    page1 = first.get(url, headers=EN).get_data(as_text=True)
    count, resp = queries(csrf_app, second, url, headers=EN)
    page2 = resp.get_data(as_text=True)
    assert count == 0  # served from the cache …
    token1, token2 = TOKEN.search(page1).group(1), TOKEN.search(page2).group(1)
    assert token1 != token2 and MARKER not in page1 + page2  # … with the visitor's own token
    assert "session=" in resp.headers["Set-Cookie"]  # the token's other half, for a visitor without a cookie
    # The second visitor (first visit, no cookie before it) adds to the cart from the cached page.
    added = second.post("/cart/add", data={"csrf_token": token2, "variant_id": world.variant_a, "quantity": 2,
                                           "next": url}, headers=EN)
    assert added.status_code == 302 and added.headers["Location"].endswith("/cart")
    cart = second.get("/cart", headers=EN).get_data(as_text=True)
    assert "Added to your cart." in cart and "Walnut 0" in cart
    # Another visitor's token is refused: the first visitor's page cannot be replayed by someone else.
    third = csrf_app.test_client()
    third.get("/coops", headers=EN)
    refused = third.post("/cart/add", data={"csrf_token": token1, "variant_id": world.variant_a, "quantity": 1,
                                            "next": url}, headers=EN)
    assert refused.status_code == 400 and "The form expired" in refused.get_data(as_text=True)


def test_the_same_visitor_keeps_one_session_token(csrf_app, world):
    client = csrf_app.test_client()
    url = f"/products/{world.product_a}"
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
