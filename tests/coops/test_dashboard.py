"""The manager's dashboard counts only their own cooperative's work."""
import re

from shop.extensions import db
from shop.payments.services import mark_paid
from tests.factories import log_in, make_address, make_cart, make_coop, make_household, make_product, make_user


def test_dashboard_counts_own_shipments_products_stock_and_members(app, client):
    from shop.checkout.services import new_checkout_token, place_order

    with app.app_context():
        mine, theirs = make_coop(), make_coop()
        make_household(mine)
        product = make_product(coop=mine, units=7)
        other = make_product(coop=theirs, units=50)
        buyer = make_user()
        order = place_order(buyer, make_cart(buyer, (product.variants[0], 2), (other.variants[0], 1)),
                            make_address(buyer), new_checkout_token(), "en")
        mark_paid(order, "demo", "p1", order.total_fen, "CNY")
        manager = make_user(coop_id=mine.id)
        db.session.commit()
        manager_id = manager.id
    log_in(client, manager_id)
    page = client.get("/coop", headers={"Accept-Language": "en"}).get_data(as_text=True)
    numbers = [re.sub(r"<[^>]+>", "", chunk.split("</dd>")[0]) for chunk in page.split("<dd>")[1:]]
    assert numbers == ["1", "1", "5", "1"]  # to ship, on sale, units free, members
