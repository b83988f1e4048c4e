"""Finished orders' shipping addresses are removed after the retention period; open ones keep theirs."""
import pytest
from flask import current_app

from shop.coops.fulfilment import ship_shipment
from shop.extensions import db
from shop.ledger.check import check_ledger
from shop.orders.retention import ADDRESS_FIELDS, purge_old_addresses
from shop.orders.services import confirm_receipt
from shop.payments.refunds import request_refund
from shop.payouts.settlement import settle_due_shipments
from tests.ledger.ledger_world import Walnuts, after_refund_window, buy, quick_user


@pytest.fixture
def retention(app):
    saved = app.config["ADDRESS_RETENTION_DAYS"]
    yield app.config
    app.config["ADDRESS_RETENTION_DAYS"] = saved


def _settled(w: Walnuts):
    order = buy(quick_user(), (w.variant, 1))
    (shipment,) = order.shipments
    assert ship_shipment(shipment, "中国邮政", "EMS1234567890")
    assert confirm_receipt(order, shipment.id)
    return order


def test_only_finished_orders_lose_their_address_and_money_stays(ctx, retention):
    w = Walnuts()
    settled = _settled(w)
    refunding = _settled(w)
    assert settle_due_shipments(after_refund_window()) == 2
    request_refund(refunding, mode="amount", key="open-refund", staff_id=None, amount_fen=100)
    unshipped = buy(quick_user(), (w.variant, 1))
    unpaid = buy(quick_user(), (w.variant, 1), pay=False)
    db.session.commit()
    totals = {o.id: o.total_fen for o in (settled, refunding, unshipped, unpaid)}

    retention["ADDRESS_RETENTION_DAYS"] = 30
    assert purge_old_addresses() == 0  # nothing is old enough yet

    retention["ADDRESS_RETENTION_DAYS"] = 0
    assert purge_old_addresses(dry_run=True) == 1
    db.session.commit()
    assert settled.street and settled.address_purged_at is None  # a dry run changes nothing
    assert purge_old_addresses() == 1
    db.session.commit()
    db.session.expire_all()
    assert [getattr(settled, name) for name in ADDRESS_FIELDS] == [""] * len(ADDRESS_FIELDS)
    assert settled.address_purged_at is not None
    for kept in (refunding, unshipped, unpaid):
        assert kept.street and kept.mobile and kept.address_purged_at is None
    assert {o.id: o.total_fen for o in (settled, refunding, unshipped, unpaid)} == totals
    assert purge_old_addresses() == 0  # idempotent
    assert check_ledger() == []


def test_the_cron_command_purges_and_says_how_many(ctx, retention):
    w = Walnuts()
    order = _settled(w)
    assert settle_due_shipments(after_refund_window()) == 1
    db.session.commit()
    retention["ADDRESS_RETENTION_DAYS"] = 0
    runner = current_app.test_cli_runner()
    assert "1 order address(es) due to be removed." in runner.invoke(args=["orders", "purge-addresses", "--dry-run"]).output
    assert "1 order address(es) removed." in runner.invoke(args=["orders", "purge-addresses"]).output
    db.session.expire_all()
    assert order.street == "" and order.address_purged_at is not None
