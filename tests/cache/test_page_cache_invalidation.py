"""Each change renders again exactly the pages that show it: the changed cooperative's pages and the pages that
list every cooperative; the other cooperative's pages stay in the cache."""
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from shop.accounts.models import User
from shop.cart.models import Cart
from shop.catalog.models import Variant
from shop.checkout.services import new_checkout_token, place_order
from shop.coops.backoffice import suspend
from shop.coops.models import Cooperative
from shop.extensions import db
from shop.orders.models import Order
from shop.orders.services import expire_due_orders
from shop.supply.models import SupplyLot
from shop.supply.services import adjust_lot, record_supply_lot
from shop.supply.stock import take_units
from shop.types import utcnow
from tests.catalog.catalog_builders import EN
from tests.cache.test_page_cache import queries
from tests.factories import make_address, make_cart, quick_user

LISTS = ["/", "/products", "/coops", "/impact"]


def coop_pages(world, which: str) -> list[str]:
    return [f"/products/{getattr(world, 'product_' + which)}", f"/coops/{getattr(world, 'coop_' + which + '_slug')}",
            f"/trace/{getattr(world, 'trace_' + which)}"]


def warm(app, world) -> None:
    client = app.test_client()
    for url in LISTS + coop_pages(world, "a") + coop_pages(world, "b"):
        assert client.get(url, headers=EN).status_code == 200, url
        assert queries(app, app.test_client(), url, headers=EN)[0] == 0, url


def assert_only_a_renders_again(app, world) -> None:
    for url in LISTS + coop_pages(world, "a"):
        assert queries(app, app.test_client(), url, headers=EN)[0] > 0, f"{url} was served stale"
    for url in coop_pages(world, "b"):
        assert queries(app, app.test_client(), url, headers=EN)[0] == 0, f"{url} left the cache"


def test_a_price_change(app, world, page_cache):
    warm(app, world)
    with app.app_context():
        db.session.get(Variant, world.variant_a).price_fen = 7500
        db.session.commit()
    assert_only_a_renders_again(app, world)
    assert "75.00" in app.test_client().get(f"/products/{world.product_a}", headers=EN).get_data(as_text=True)


def test_recording_and_adjusting_a_lot(app, world, page_cache):
    warm(app, world)
    with app.app_context():
        coop = db.session.get(Cooperative, world.coop_a)
        record_supply_lot(coop, world.variant_a, 6, date.today() - timedelta(days=2),
                          [(world.households_a[0], 6)], None)
        db.session.commit()
    assert_only_a_renders_again(app, world)
    warm(app, world)
    with app.app_context():  # a write-off is a bulk UPDATE of the lot's free units
        lot = db.session.query(SupplyLot).filter_by(trace_code=world.trace_a).one()
        adjust_lot(lot, -2, "spoiled in storage", None)
        db.session.commit()
    assert_only_a_renders_again(app, world)


def test_units_taken_by_a_statement_built_once(app, world, page_cache):
    """take_units runs one UPDATE built once, its lot given as a parameter; without the lot's cooperative named
    (as a refund that keeps units takes them back) the cache finds it from that parameter."""
    warm(app, world)
    with app.app_context():
        lot = db.session.query(SupplyLot).filter_by(trace_code=world.trace_a).one()
        assert take_units(lot.id, 1)
        db.session.commit()
    assert_only_a_renders_again(app, world)


def test_placing_and_expiring_an_order(app, world, page_cache):
    warm(app, world)
    with app.app_context():
        user = quick_user()
        cart = make_cart(user, (db.session.get(Variant, world.variant_a), 4))
        order_id = place_order(user, cart, make_address(user), new_checkout_token(), "en").id
        db.session.commit()
    assert_only_a_renders_again(app, world)
    warm(app, world)
    with app.app_context():
        order = db.session.get(Order, order_id)
        order.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()  # an order row alone shows on no public page
    for url in coop_pages(world, "a"):
        assert queries(app, app.test_client(), url, headers=EN)[0] == 0
    with app.app_context():
        assert expire_due_orders() == 1  # releases the 4 units
        db.session.commit()
    assert_only_a_renders_again(app, world)


def test_suspending_a_cooperative(app, world, page_cache):
    warm(app, world)
    with app.app_context():
        staff = quick_user()
        suspend(db.session.get(Cooperative, world.coop_a), "checks", staff.id)
        db.session.commit()
    assert app.test_client().get(f"/products/{world.product_a}", headers=EN).status_code == 404
    assert app.test_client().get(f"/coops/{world.coop_a_slug}", headers=EN).status_code == 404
    names = app.test_client().get("/coops", headers=EN).get_data(as_text=True)
    with app.app_context():
        coop = db.session.get(Cooperative, world.coop_a)
        assert coop.name_en not in names
    for url in coop_pages(world, "b"):
        assert queries(app, app.test_client(), url, headers=EN)[0] == 0


def test_a_rolled_back_change_keeps_the_pages(app, world, page_cache):
    warm(app, world)
    with app.app_context():
        db.session.get(Variant, world.variant_a).price_fen = 1
        db.session.flush()
        db.session.rollback()
    for url in LISTS + coop_pages(world, "a"):
        assert queries(app, app.test_client(), url, headers=EN)[0] == 0, url


@pytest.mark.parametrize("use_redis", [False, True])
def test_a_change_made_while_a_page_renders_is_not_hidden(app, world, page_cache, monkeypatch, request, use_redis):
    """A page read before a commit and stored after it would show old data until it expires: it is not stored."""
    if use_redis:
        monkeypatch.setitem(app.config, "REDIS_URL", request.getfixturevalue("redis_url"))
    from shop.catalog import views

    real = views.get_product_page

    def slow(slug):
        page = real(slug)
        with app.app_context():  # another request commits a new price meanwhile
            db.session.get(Variant, world.variant_a).price_fen = 9900
            db.session.commit()
        return page

    monkeypatch.setattr(views, "get_product_page", slow)
    app.test_client().get(f"/products/{world.product_a}", headers=EN)
    monkeypatch.setattr(views, "get_product_page", real)
    count, resp = queries(app, app.test_client(), f"/products/{world.product_a}", headers=EN)
    assert count > 0 and "99.00" in resp.get_data(as_text=True)


def test_a_page_rendered_after_the_savepoint_but_before_the_commit_renders_again(app, world, page_cache):
    """The page cache bumps its counters in after_commit, which SQLAlchemy also runs when a savepoint is
    released: the checkout's savepoint bumps them before the order commits, and the commit bumps nothing. A
    product page rendered in between (old stock) is stored under the new counters and stays."""
    url = f"/products/{world.product_a}"
    assert queries(app, app.test_client(), url, headers=EN)[1].status_code == 200
    with app.app_context():
        user = quick_user()
        make_cart(user, (db.session.get(Variant, world.variant_a), 4))
        make_address(user)
        user_id = user.id
        db.session.commit()
    placed, go_on, errors = threading.Event(), threading.Event(), []

    def checkout():
        try:
            with app.app_context():
                user = db.session.get(User, user_id)
                cart = db.session.scalars(select(Cart).where(Cart.user_id == user_id)).one()
                place_order(user, cart, user.addresses[0], new_checkout_token(), "en")
                placed.set()
                go_on.wait(30)
                db.session.commit()
        except Exception as e:  # noqa: BLE001
            errors.append(e)
            placed.set()

    worker = threading.Thread(target=checkout)
    worker.start()
    placed.wait(30)
    _n, resp = queries(app, app.test_client(), url, headers=EN)  # another visitor while the order is uncommitted
    go_on.set()
    worker.join(30)
    assert errors == [] and resp.status_code == 200
    assert queries(app, app.test_client(), url, headers=EN)[0] > 0, "the product page kept the old stock"
