"""Review of the roll-up locking (7ddb51c, docs/DOMAIN.md "Roll-ups": "one upsert whose rows come in key order, so
two transactions cannot deadlock on them"), on PostgreSQL with real parallel transactions.

The rows of one post() come in key order, but the nightly `orders settle` (settle_due_shipments) posts many
settlements in ONE transaction: it holds the roll-up rows of the households of the first shipments it settled
(household_income_months, month M) while it goes on to lock the next shipment. A refund of an order with a
settled shipment of the same households and a due shipment locks its shipments first (post_refund, FOR UPDATE),
then upserts the same roll-up rows: each waits for the other, and PostgreSQL aborts one with a deadlock."""
import threading
import time

import pytest
from sqlalchemy import select

from shop.coops.fulfilment import ship_shipment
from shop.extensions import db
from shop.ledger.check import check_ledger
from shop.orders.models import Shipment
from shop.orders.services import confirm_receipt
from shop.payments.refunds import request_refund, settle_refund
from shop.payouts import settlement
from shop.payouts.settlement import settle_due_shipments, settle_shipment
from tests.ledger.ledger_world import Walnuts, after_refund_window, buy, quick_user
from tests.ledger.test_ledger_concurrency import _in_thread

pytestmark = pytest.mark.usefixtures("needs_postgres")


def _delivered(*items):
    order = buy(quick_user(), *items)
    for shipment in order.shipments:
        assert ship_shipment(shipment, "中国邮政", f"EMS{shipment.id:010d}")
        assert confirm_receipt(order, shipment.id)
    return order


def test_the_nightly_settlement_and_a_refund_do_not_deadlock_on_the_roll_up(app, monkeypatch):
    with app.app_context():
        a, b = Walnuts(), Walnuts()
        _delivered((a.variant, 1))  # shipment S1 of cooperative A: due tonight
        both = _delivered((a.variant, 1), (b.variant, 1))  # A's shipment settled already, B's due tonight
        settled_a = next(s for s in both.shipments if s.coop_id == a.coop.id)
        assert settle_shipment(settled_a.id)
        refund_id = request_refund(both, mode="whole", key="whole-both", staff_id=None).id
        db.session.commit()
        due_at = after_refund_window()
        due = list(db.session.scalars(select(Shipment.id).where(Shipment.status == "delivered").order_by(Shipment.id)))
        assert len(due) == 2
        db.session.remove()

    holding, results = threading.Event(), [None, None]
    real_settle = settlement.settle_shipment

    def settle_one(shipment_id, now=None):
        done = real_settle(shipment_id, now)
        if not holding.is_set():  # the first shipment is settled: its households' roll-up rows are held
            holding.set()
            time.sleep(1.5)  # meanwhile the refund locks its shipments and waits for those rows
        return done

    monkeypatch.setattr(settlement, "settle_shipment", settle_one)

    def refund():
        assert holding.wait(10)
        time.sleep(0.2)
        return settle_refund(refund_id)

    threads = [_in_thread(app, lambda: settle_due_shipments(due_at), results, 0), _in_thread(app, refund, results, 1)]
    for t in threads:
        t.join(60)
    assert results == [2, True]
    with app.app_context():
        assert check_ledger() == []
        db.session.remove()
