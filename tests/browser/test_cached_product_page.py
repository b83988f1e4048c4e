"""A first visit without cookies, in a real browser, with CSRF protection and the page cache on: the product page
comes from the shared cache (its add-to-cart form has no token) and adding to the cart from it works, because
Chromium names the shop's own page in the POST's Origin; a later page carries the visitor's own token."""
import re
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from config import TestConfig
from shop import cache, create_app
from shop.extensions import db
from tests.factories import make_product


@pytest.fixture
def cached_server(app, database_url, tmp_path):
    shop = create_app(type("Cfg", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": True,
                                                  "PAGE_CACHE_SECONDS": 300, "UPLOAD_DIR": str(tmp_path)}))
    cache.clear_local()
    server = make_server("127.0.0.1", 0, shop, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield shop, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)
    server.server_close()
    cache.clear_local()
    with shop.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


def test_a_first_visit_adds_to_the_cart_from_the_cached_page(browser, cached_server):
    shop, base = cached_server
    with shop.app_context():
        slug = make_product(name_zh="缓存核桃", name_en="Cached walnuts", units=5).slug
        db.session.commit()
    for _ in range(2):  # the first visitor renders and stores the page; the second gets the stored copy
        context = browser.new_context(viewport={"width": 375, "height": 800}, locale="en-US", base_url=base)
        page = context.new_page()
        response = page.goto(f"/products/{slug}")
        assert response.headers["cache-control"] == "public, max-age=30"
        assert page.locator("form[action$='/cart/add'] input[name=csrf_token]").first.get_attribute("value") == ""
        assert context.cookies() == []  # looking at a product makes no session
        page.locator("form[action$='/cart/add'] input[name=quantity]").first.fill("2")
        page.locator("form[action$='/cart/add'] button[type=submit]").first.click()
        expect(page).to_have_url(re.compile(r"/cart$"))
        expect(page.get_by_text("Added to your cart.")).to_be_visible()
        expect(page.get_by_text("Cached walnuts").first).to_be_visible()
        page.goto(f"/products/{slug}")  # now with a session: the visitor's own token
        assert page.locator("form[action$='/cart/add'] input[name=csrf_token]").first.get_attribute("value")
        context.close()
