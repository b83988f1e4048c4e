"""The manager's dashboard counts only their own cooperative's work."""
import re

from shop.catalog.models import Product
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


def test_a_new_cooperative_is_shown_its_first_steps_until_it_sells(app, client):
    from datetime import date

    from shop.coops.models import Cooperative
    from shop.households.models import Household
    from shop.supply.services import record_supply_lot

    en = {"Accept-Language": "en"}
    with app.app_context():
        coop = make_coop()
        manager = make_user(coop_id=coop.id)
        db.session.commit()
        ids = {"coop": coop.id, "manager": manager.id}
    log_in(client, ids["manager"])

    def steps():
        page = client.get("/coop", headers=en).get_data(as_text=True)
        if "Getting started" not in page:
            return None
        return re.search(r"(\d) of 4 done", page).group(1), re.findall(r'class="step-(done|todo)"', page)

    assert steps() == ("0", ["todo"] * 4)
    with app.app_context():
        household = make_household(db.session.get(Cooperative, ids["coop"]))
        db.session.commit()
    assert steps() == ("1", ["done", "todo", "todo", "todo"])
    with app.app_context():
        coop = db.session.get(Cooperative, ids["coop"])
        product = make_product(coop=coop, units=0)
        product.is_published = False
        db.session.flush()
        household = db.session.scalars(db.select(Household).where(Household.coop_id == coop.id)).one()
        record_supply_lot(coop, product.variants[0].id, 5, date(2026, 9, 1), [(household.id, 5)], ids["manager"])
        db.session.commit()
    assert steps() == ("3", ["done", "done", "done", "todo"])
    with app.app_context():
        db.session.scalars(db.select(Product).where(Product.coop_id == ids["coop"])).one().is_published = True
        db.session.commit()
    assert steps() is None  # all done: the dashboard is back to the day's work
