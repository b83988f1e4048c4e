"""Review (i18n): the staff order pages name the carrier and the payment provider in the reader's language,
not as they are stored ("顺丰速运", "demo")."""
from shop.checkout.services import new_checkout_token, place_order
from shop.coops.fulfilment import ship_shipment
from shop.extensions import db
from shop.payments.services import mark_paid
from tests.factories import log_in, make_address, make_cart, make_product, make_user

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh"}


def _shipped_demo_order(app):
    with app.app_context():
        product = make_product(price_fen=6800, units=5)
        buyer = make_user()
        order = place_order(buyer, make_cart(buyer, (product.variants[0], 1)), make_address(buyer),
                            new_checkout_token(), "zh")
        mark_paid(order, "demo", f"demo-{order.number}", order.total_fen, "CNY")
        ship_shipment(order.shipments[0], "顺丰速运", "SF1234567890123")
        staff_id, number = make_user(is_staff=True).id, order.number
        db.session.commit()
    return staff_id, number


def test_staff_order_pages_speak_the_readers_language(app, client):
    staff_id, number = _shipped_demo_order(app)
    log_in(client, staff_id)
    detail = client.get(f"/staff/orders/{number}", headers=EN).get_data(as_text=True)
    assert "SF Express" in detail and "顺丰速运" not in detail
    assert "Demonstration payment" in detail
    listing = client.get("/staff/orders", headers=EN).get_data(as_text=True)
    assert "Demonstration payment" in listing and "· demo<" not in listing
    chinese = client.get(f"/staff/orders/{number}", headers=ZH).get_data(as_text=True)
    assert "顺丰速运" in chinese and "Demonstration payment" not in chinese and "<td>demo " not in chinese
    assert "· demo<" not in client.get("/staff/orders", headers=ZH).get_data(as_text=True)
