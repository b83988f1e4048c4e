"""The cart through its pages: guests and buyers, quantities, stock messages, bad input."""
from sqlalchemy import select

from shop.accounts.models import User
from shop.cart.models import Cart, CartItem
from shop.cart.services import merge_guest_cart
from shop.extensions import db
from tests.factories import make_coop, make_product, make_user
from tests.querycount import count_queries


def _product(app, units=5, **kw):
    with app.app_context():
        product = make_product(units=units, **kw)
        db.session.commit()
        return product.variants[0].id


def test_guest_adds_to_cart_and_sees_it(app, client):
    vid = _product(app, units=5, price_fen=6800)
    resp = client.post("/cart/add", data={"variant_id": vid, "quantity": 2})
    assert resp.status_code == 302
    page = client.get("/cart", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "¥136.00" in page and 'value="2"' in page


def test_adding_more_than_is_left_says_how_many_remain(app, client):
    vid = _product(app, units=3)
    resp = client.post("/cart/add", data={"variant_id": vid, "quantity": 4}, headers={"Accept-Language": "en"},
                       follow_redirects=True)
    assert "Only 3 left" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(CartItem)) is None


def test_bad_quantities_and_forged_ids_never_break_the_cart(app, client):
    vid = _product(app)
    for data in ({"variant_id": vid, "quantity": -1}, {"variant_id": vid, "quantity": 10**12},
                 {"variant_id": vid, "quantity": "abc"}, {"variant_id": 999999, "quantity": 1},
                 {"variant_id": "x", "quantity": 1}, {}):
        resp = client.post("/cart/add", data=data, follow_redirects=True)
        assert resp.status_code == 200
    assert client.post("/cart/items/999999", data={"quantity": 1}, follow_redirects=True).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(CartItem)) is None


def test_unpublished_product_cannot_be_added(app, client):
    vid = _product(app, published=False)
    page = client.post("/cart/add", data={"variant_id": vid, "quantity": 1}, follow_redirects=True,
                       headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "not available" in page


def test_quantity_change_and_removal(app, client):
    vid = _product(app, units=9)
    client.post("/cart/add", data={"variant_id": vid, "quantity": 1})
    with app.app_context():
        item_id = db.session.scalar(select(CartItem.id))
    client.post(f"/cart/items/{item_id}", data={"quantity": 4})
    with app.app_context():
        assert db.session.get(CartItem, item_id).quantity == 4
    client.post(f"/cart/items/{item_id}", data={"quantity": 0})
    with app.app_context():
        assert db.session.get(CartItem, item_id) is None


def test_guest_cart_merges_into_the_account_at_login(app, client):
    vid = _product(app, units=9)
    other = _product(app, units=9)
    client.post("/cart/add", data={"variant_id": vid, "quantity": 2})
    with app.app_context():
        user = make_user()
        db.session.add(Cart(user_id=user.id, items=[CartItem(variant_id=vid, quantity=1),
                                                    CartItem(variant_id=other, quantity=1)]))
        db.session.commit()
        user_id = user.id
    with client.session_transaction() as sess:
        token = sess["cart_token"]
    with app.test_request_context():
        from flask import session

        session["cart_token"] = token
        merge_guest_cart(db.session.get(User, user_id))
        db.session.commit()
        cart = db.session.scalar(select(Cart).where(Cart.user_id == user_id))
        assert {i.variant_id: i.quantity for i in cart.items} == {vid: 3, other: 1}
        assert db.session.scalar(select(Cart).where(Cart.token == token)) is None


def test_cart_page_query_budget_is_fixed(app, client):
    def queries_for(n_items: int) -> int:
        with app.app_context():
            coop = make_coop()
            variants = [make_product(coop=coop).variants[0].id for _ in range(n_items)]
            db.session.commit()
        fresh = app.test_client()
        for vid in variants:
            fresh.post("/cart/add", data={"variant_id": vid, "quantity": 1})
        with app.app_context():
            engine = db.engine
        with count_queries(engine) as statements:
            assert fresh.get("/cart").status_code == 200
        return len(statements)

    small, large = queries_for(2), queries_for(20)
    assert small == large
    assert large <= 6
