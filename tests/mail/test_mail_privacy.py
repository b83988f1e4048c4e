"""No order mail names a household: no head's name, registry code, phone or household id, in either
part, in either language, for an order whose goods several households grew."""
import pytest
from sqlalchemy import select

from shop.coops.fulfilment import notify_buyer_shipped, ship_shipment
from shop.extensions import db
from shop.households.models import Household
from shop.payments.refunds import request_refund, send_refund
from shop.payments.services import mark_paid
from tests.mail.conftest import grown_by, html_of, load_order, place, text_of

BIG_ID = 7_654_321  # household ids far from any price, count or order number in a mail


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_no_mail_of_an_order_names_a_household(app, ctx, outbox, locale):
    variants = grown_by((3, 2), villages_per_coop=2, phone="13977770000", first_id=BIG_ID)
    placed = place(variants, locale=locale)
    order = load_order(placed.order_id)
    mark_paid(order, "demo", f"demo_{order.number}", order.total_fen, order.currency)
    db.session.commit()
    refund = request_refund(load_order(order.id), mode="amount", key="privacy", staff_id=None, amount_fen=100)
    db.session.commit()
    send_refund(refund)
    shipment = load_order(order.id).shipments[0]
    ship_shipment(shipment, "EMS", "EMS12345678")
    db.session.commit()
    notify_buyer_shipped(shipment)

    assert len(outbox) == 4  # placed, paid, refunded, shipped
    households = db.session.scalars(select(Household)).all()
    secrets = [s for hh in households for s in (hh.head_name, hh.registry_code, hh.phone, str(hh.id))]
    assert len(households) == 5 and all(secrets) and min(hh.id for hh in households) == BIG_ID
    for mail in outbox:
        for part in (text_of(mail), html_of(mail), mail["Subject"]):
            assert [s for s in secrets if s in part] == []
