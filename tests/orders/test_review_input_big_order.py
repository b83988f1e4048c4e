"""Review (bad input): an order too large to be paid (or stored) is refused at checkout with a message, and
nothing is written; never a server error (PostgreSQL's integer columns stop at 2**31 - 1 fen)."""
from sqlalchemy import func, select

from shop.extensions import db
from shop.orders.models import Order
from shop.supply.models import SupplyLot
from tests.factories import make_address, make_cart, make_coop, make_product, make_user
from tests.factories import log_in as sign_in

EN = {"Accept-Language": "en"}


def _buyer_with_cart(app, client, price_fen, quantity):
    with app.app_context():
        product = make_product(coop=make_coop(), price_fen=price_fen, units=quantity)
        user = make_user()
        make_cart(user, (product.variants[0], quantity))
        user_id, address_id = user.id, make_address(user).id
        db.session.commit()
    sign_in(client, user_id)
    return address_id


def _token(client):
    page = client.get("/checkout", headers=EN).get_data(as_text=True)
    return page.split('name="checkout_token" type="hidden" value="')[1].split('"')[0]


def test_an_order_over_the_most_one_payment_can_carry_is_refused_with_a_message(app, client):
    # The variant form takes a price up to ¥10,000,000: 99 of them come to 99 × 10**9 fen.
    address_id = _buyer_with_cart(app, client, price_fen=1_000_000_000, quantity=99)
    resp = client.post("/checkout", data={"address_id": address_id, "checkout_token": _token(client)},
                       headers=EN, follow_redirects=True)
    assert resp.status_code == 200
    assert "at most ¥999,999.99" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 0
        assert db.session.scalar(select(SupplyLot.units_remaining)) == 99


def test_an_order_just_under_the_limit_is_placed(app, client):
    address_id = _buyer_with_cart(app, client, price_fen=99_999_999 - 1000, quantity=1)  # plus ¥10 shipping
    with app.app_context():
        from shop.coops.models import Cooperative

        db.session.execute(db.update(Cooperative).values(shipping_fee_fen=1000))
        db.session.commit()
    resp = client.post("/checkout", data={"address_id": address_id, "checkout_token": _token(client)})
    assert resp.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Order.total_fen)) == 99_999_999
