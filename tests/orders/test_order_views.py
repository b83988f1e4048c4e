"""The buying path through the pages: checkout, demo payment, order pages, access control."""
from sqlalchemy import func, select

from shop.extensions import db
from shop.orders.models import Order
from tests.factories import make_address, make_cart, make_coop, make_product, make_user, log_in
from tests.querycount import count_queries

EN = {"Accept-Language": "en"}


def _buyer_with_cart(app, products=1, units=5):
    with app.app_context():
        user = make_user()
        variants = [make_product(coop=make_coop(), units=units).variants[0] for _ in range(products)]
        make_cart(user, *[(v, 1) for v in variants])
        address = make_address(user)
        db.session.commit()
        return user.id, address.id


def _checkout(client):
    page = client.get("/checkout", headers=EN).get_data(as_text=True)
    token = page.split('name="checkout_token" type="hidden" value="')[1].split('"')[0]
    return token


def test_checkout_places_one_order_and_demo_payment_marks_it_paid(app, client):
    user_id, address_id = _buyer_with_cart(app, products=2)
    log_in(client, user_id)
    token = _checkout(client)
    first = client.post("/checkout", data={"address_id": address_id, "checkout_token": token})
    assert first.status_code == 302 and "/pay/" in first.headers["Location"]
    again = client.post("/checkout", data={"address_id": address_id, "checkout_token": token})
    assert again.headers["Location"] == first.headers["Location"]  # a double submit finds the same order
    with app.app_context():
        order = db.session.scalar(select(Order))
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1
        number = order.number
    demo = client.get(f"/pay/{number}/demo", headers=EN).get_data(as_text=True)
    assert "Demonstration" in demo
    paid = client.post(f"/pay/{number}/demo", follow_redirects=True, headers=EN).get_data(as_text=True)
    assert "Paid" in paid and paid.count("Shipment ") == 2
    with app.app_context():
        assert db.session.scalar(select(Order)).status == "paid"


def test_checkout_requires_login(client):
    resp = client.get("/checkout")
    assert resp.status_code == 302 and "/account/login" in resp.headers["Location"]


def test_forged_address_or_token_changes_nothing(app, client):
    user_id, _ = _buyer_with_cart(app)
    with app.app_context():
        stranger_address = make_address(make_user()).id
        db.session.commit()
    log_in(client, user_id)
    token = _checkout(client)
    for data in ({"address_id": stranger_address, "checkout_token": token},
                 {"address_id": "abc", "checkout_token": token}, {"checkout_token": "short"}, {}):
        assert client.post("/checkout", data=data).status_code in (200, 302)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 0


def _placed_order(app, client) -> str:
    """Sign in a buyer with a cart, place the order through the checkout page; return its number."""
    user_id, address_id = _buyer_with_cart(app)
    log_in(client, user_id)
    client.post("/checkout", data={"address_id": address_id, "checkout_token": _checkout(client)})
    with app.app_context():
        return db.session.scalar(select(Order.number))


def test_another_buyers_order_is_404(app, client):
    number = _placed_order(app, client)
    with app.app_context():
        intruder = make_user().id
        db.session.commit()
    log_in(client, intruder)
    for method, url in (("get", f"/orders/{number}"), ("post", f"/orders/{number}/cancel"),
                        ("get", f"/pay/{number}/demo"), ("post", f"/pay/{number}/demo"),
                        ("post", f"/orders/{number}/shipments/1/received"), ("get", "/orders/NOPE")):
        assert getattr(client, method)(url).status_code == 404


def test_buyer_cancels_an_unpaid_order(app, client):
    number = _placed_order(app, client)
    page = client.post(f"/orders/{number}/cancel", follow_redirects=True, headers=EN).get_data(as_text=True)
    assert "cancelled" in page
    assert "Pay now" not in page


def test_order_list_query_budget_is_fixed(app, client):
    def queries_for(n_orders: int) -> int:
        with app.app_context():
            user = make_user()
            for _ in range(n_orders):
                user_cart_product = make_product(coop=make_coop())
                cart = make_cart(user, (user_cart_product.variants[0], 1))
                from shop.checkout.services import new_checkout_token, place_order

                place_order(user, cart, make_address(user), new_checkout_token(), "zh")
                db.session.delete(cart)
                db.session.flush()
            db.session.commit()
            user_id, engine = user.id, db.engine
        fresh = app.test_client()
        log_in(fresh, user_id)
        with count_queries(engine) as statements:
            assert fresh.get("/orders").status_code == 200
        return len(statements)

    assert queries_for(2) == queries_for(12) <= 6


def test_order_page_says_how_many_households_it_supports_without_names(app, client):
    from tests.factories import add_lot, make_household

    with app.app_context():
        coop = make_coop()
        households = [make_household(coop) for _ in range(3)]
        product = make_product(coop=coop, units=0)
        add_lot(product.variants[0], 9, households)
        user = make_user()
        make_cart(user, (product.variants[0], 3))
        address_id = make_address(user).id
        names = [h.head_name for h in households]
        village = coop.village.name_en
        db.session.commit()
        user_id = user.id
    log_in(client, user_id)
    client.post("/checkout", data={"address_id": address_id, "checkout_token": _checkout(client)})
    with app.app_context():
        number = db.session.scalar(select(Order.number))
    page = client.get(f"/orders/{number}", headers=EN).get_data(as_text=True)
    assert f"supports 3 farming households in {village}" in page
    assert not any(name in page for name in names)


def test_order_list_shows_each_orders_items_totals_and_shipment_states(app, client):
    from shop.checkout.services import new_checkout_token, place_order
    from shop.payments.services import mark_paid

    with app.app_context():
        user = make_user()
        products = [make_product(coop=make_coop()) for _ in range(2)]
        cart = make_cart(user, (products[0].variants[0], 2), (products[1].variants[0], 1))
        order = place_order(user, cart, make_address(user), new_checkout_token(), "en")
        mark_paid(order, "demo", f"demo_{order.number}", order.total_fen, order.currency)
        db.session.commit()
        user_id, number, total = user.id, order.number, order.total_fen
        names = [(p.name_en, p.variants[0].name_en) for p in products]
    log_in(client, user_id)
    page = client.get("/orders", headers=EN).get_data(as_text=True)
    assert number in page and f"¥{total / 100:,.2f}" in page
    for product, variant in names:
        assert product in page and variant in page
    assert "× 2" in page and "× 1" in page and page.count("Being prepared") == 2


def test_the_pay_page_says_when_the_hold_ends_and_what_happens_then(app, client):
    user_id, address_id = _buyer_with_cart(app)
    log_in(client, user_id)
    client.post("/checkout", data={"address_id": address_id, "checkout_token": _checkout(client)})
    with app.app_context():
        order = db.session.scalar(select(Order))
        number, expires_at = order.number, order.expires_at
    with app.test_request_context(headers=EN):
        from shop.i18n import local_time
        when = local_time(expires_at)
    for url in (f"/pay/{number}/demo", f"/orders/{number}", "/orders"):
        page = client.get(url, headers=EN).get_data(as_text=True)
        assert f"Your items are held until {when}." in page, url
        assert "35 minutes left" in page or "34 minutes left" in page
        assert "cancelled, nothing is charged and the items go back on sale" in page
        assert 'data-seconds-left="' in page and "js/countdown.js" in page
