"""Review (life): the order is placed for the total the checkout page showed, not one the buyer never saw."""
from sqlalchemy import func, select

from shop.catalog.models import Variant
from shop.extensions import db
from shop.orders.models import Order
from shop.supply.models import SupplyLot
from tests.factories import log_in, make_address, make_cart, make_coop, make_product, make_user

EN = {"Accept-Language": "en"}


def _buyer_with_cart(app):
    with app.app_context():
        user = make_user()
        variant = make_product(coop=make_coop(), price_fen=6800, units=5).variants[0]
        make_cart(user, (variant, 2))
        address = make_address(user)
        db.session.commit()
        return user.id, address.id, variant.id


def _page_fields(client):
    page = client.get("/checkout", headers=EN).get_data(as_text=True)
    token = page.split('name="checkout_token" type="hidden" value="')[1].split('"')[0]
    seen = page.split('name="seen_total" type="hidden" value="')[1].split('"')[0]
    return token, seen


def test_a_price_raised_while_the_buyer_reads_the_checkout_page_orders_nothing(app, client):
    user_id, address_id, variant_id = _buyer_with_cart(app)
    log_in(client, user_id)
    token, seen = _page_fields(client)
    with app.app_context():
        db.session.get(Variant, variant_id).price_fen = 68000  # the manager typed one zero too many
        db.session.commit()
    resp = client.post("/checkout", data={"address_id": address_id, "checkout_token": token, "seen_total": seen},
                       headers=EN)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/checkout")
    page = client.get("/checkout", headers=EN).get_data(as_text=True)
    assert "the total is now" in page and "1,360.00" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 0
        assert db.session.scalar(select(func.sum(SupplyLot.units_remaining))) == 5  # nothing held
    token, seen = _page_fields(client)  # the page now shows the new total: placing it is what the buyer saw
    placed = client.post("/checkout", data={"address_id": address_id, "checkout_token": token, "seen_total": seen})
    assert placed.status_code == 302 and "/pay/" in placed.headers["Location"]
    again = client.post("/checkout", data={"address_id": address_id, "checkout_token": token, "seen_total": "1"})
    assert again.headers["Location"] == placed.headers["Location"]  # a double submit still finds its order
    with app.app_context():
        assert db.session.scalar(select(Order.total_fen)) == int(seen) == 136000 + db.session.scalar(
            select(Order.shipping_fen))
