"""Refunds in the ledger, the regressions of the issue: one unit at a time (the worked example of
docs/DOMAIN.md), an amount refund then a whole one, refunded shipping, and modes that must not refund the
same fen twice. Each reversal is read back from the ledger postings."""
import pytest
from sqlalchemy import select

from shop.coops.fulfilment import ship_shipment
from shop.extensions import db
from shop.ledger.check import check_ledger
from shop.ledger.models import LedgerPosting, LedgerTransaction
from shop.orders.services import confirm_receipt
from shop.payments.models import RefundShipping
from shop.payments.refunds import RefundError, fail_refund, refund_summary, request_refund, settle_refund
from shop.payouts.settlement import settle_due_shipments
from tests.factories import make_coop, make_product
from tests.ledger.ledger_world import (Walnuts, account_balance, after_refund_window, buy, line_parts, quick_user,
                                       refund_reversal)


def _refund(order, key, **kw):
    refund = request_refund(order, key=key, staff_id=None, **kw)
    assert settle_refund(refund.id)
    db.session.refresh(order)
    return refund


def _parts(f, k, h1, h2, h3, households):
    a, b, c = households
    return {("F", None): f, ("K", None): k, ("H", a): h1, ("H", b): h2, ("H", c): h3}


def _accounts(refund_id: int) -> set[str]:
    return set(db.session.scalars(select(LedgerPosting.account).join(LedgerTransaction)
                                  .where(LedgerTransaction.key == f"refund:{refund_id}")))


def _ship(order):
    """Ship every shipment: an amount refund then fills shipping fees as it did before a refund closed a shipment
    it leaves with nothing to send (tests/payments/test_review_closure.py)."""
    for shipment in order.shipments:
        assert ship_shipment(shipment, "顺丰", "SF100200300")


def _settle(order):
    for shipment in order.shipments:
        if shipment.status == "awaiting_fulfilment":
            assert ship_shipment(shipment, "顺丰", "SF100200300")
        assert confirm_receipt(order, shipment.id)
    assert settle_due_shipments(after_refund_window()) == len(order.shipments)


@pytest.mark.parametrize("settled", [False, True], ids=["pending", "settled"])
def test_three_refunds_of_one_unit_each_reverse_what_is_left(ctx, settled):
    w = Walnuts(price_fen=100, shipping_fee_fen=0)
    hh = w.household_ids
    order = buy(quick_user(), (w.variant, 3))
    (line,) = order.lines
    assert (line.gross_fen, line.commission_fen, line.retention_fen) == (300, 15, 29)
    assert line_parts(line.id) == _parts(15, 29, 128, 77, 51, hh)
    if settled:  # after settlement the reversals come off the payable accounts, with the same amounts
        _settle(order)

    expected = [((5, 10, 43, 25, 17), (10, 19, 85, 52, 34)),
                ((5, 10, 42, 26, 17), (5, 9, 43, 26, 17)),
                ((5, 9, 43, 26, 17), (0, 0, 0, 0, 0))]
    for i, (reversal, left) in enumerate(expected):
        refund = _refund(order, f"unit-{i}", mode="lines", quantities={line.id: 1})
        assert refund.amount_fen == 100
        assert [(rl.line_id, rl.quantity, rl.amount_fen) for rl in refund.lines] == [(line.id, 1, 100)]
        assert refund_reversal(refund.id) == _parts(*reversal, hh)
        assert line_parts(line.id) == _parts(*left, hh)
        state = "payable" if settled else "pending"
        assert _accounts(refund.id) == {"cash", "commission", f"retention_{state}", f"household_{state}"}
        assert check_ledger() == []

    assert order.status == "refunded"
    for account in ("retention_pending", "household_pending", "retention_payable", "household_payable",
                    "shipping_pending", "shipping_payable"):
        assert account_balance(account, w.coop.id) == 0, account
    assert account_balance("commission") == 0
    assert account_balance("cash") == 0
    with pytest.raises(RefundError):  # nothing left
        request_refund(order, mode="whole", key="more", staff_id=None)


@pytest.mark.parametrize("settled", [False, True], ids=["pending", "settled"])
def test_an_amount_refund_then_a_whole_refund_gives_back_exactly_the_rest(ctx, settled):
    w = Walnuts()
    hh = w.household_ids
    order = buy(quick_user(), (w.variant, 2))
    (line,), (shipment,) = order.lines, order.shipments
    assert order.total_fen == 14_600

    first = _refund(order, "amount", mode="amount", amount_fen=5_000)
    assert [(rl.line_id, rl.amount_fen) for rl in first.lines] == [(line.id, 5_000)]
    assert first.shipping == []
    back = refund_reversal(first.id)
    assert sum(back.values()) == 5_000 and all(fen >= 0 for fen in back.values())
    left = line_parts(line.id)
    assert sum(left.values()) == 8_600 and all(fen >= 0 for fen in left.values())
    assert order.status == "partially_refunded"
    assert check_ledger() == []
    if settled:
        _settle(order)
        assert check_ledger() == []

    whole = _refund(order, "whole", mode="whole")
    assert whole.amount_fen == 9_600 == 14_600 - 5_000
    assert [(rl.line_id, rl.amount_fen) for rl in whole.lines] == [(line.id, 8_600)]
    assert [(rs.shipment_id, rs.amount_fen) for rs in whole.shipping] == [(shipment.id, 1_000)]
    assert refund_reversal(whole.id) == left  # exactly what was left of every part
    assert line_parts(line.id) == _parts(0, 0, 0, 0, 0, hh)
    for account in ("retention_pending", "retention_payable", "household_pending", "household_payable",
                    "shipping_pending", "shipping_payable"):
        assert account_balance(account, w.coop.id) == 0, account
    assert account_balance("cash") == 0 and account_balance("commission") == 0
    assert order.status == "refunded"
    assert check_ledger() == []


def test_households_never_go_below_zero_over_many_small_amount_refunds(ctx):
    w = Walnuts()
    order = buy(quick_user(), (w.variant, 2))
    _ship(order)
    (line,) = order.lines
    for i, amount in enumerate([1, 2, 3, 997, 4_999, 1, 7_000, 597]):
        _refund(order, f"small-{i}", mode="amount", amount_fen=amount)
        assert all(fen >= 0 for fen in line_parts(line.id).values()), line_parts(line.id)
        assert check_ledger() == []
    assert sum(line_parts(line.id).values()) == 0
    assert set(line_parts(line.id).values()) == {0}
    assert account_balance("shipping_pending", w.coop.id) == -1_000  # 13,600 of lines only, so far
    _refund(order, "rest", mode="whole")
    assert account_balance("shipping_pending", w.coop.id) == 0
    assert order.status == "refunded"
    assert check_ledger() == []


def test_refunded_shipping_comes_off_the_cooperatives_shipping_account(ctx):
    w = Walnuts()
    order = buy(quick_user(), (w.variant, 2))
    (shipment,) = order.shipments
    _ship(order)

    first = _refund(order, "into-shipping", mode="amount", amount_fen=14_000)
    assert [(rs.shipment_id, rs.amount_fen) for rs in first.shipping] == [(shipment.id, 400)]
    assert account_balance("shipping_pending", w.coop.id) == -600
    assert account_balance("shipping_pending", shipment_id=shipment.id) == -600
    assert check_ledger() == []

    _settle(order)  # the last 600 of shipping is now payable, and the next refund takes it from there
    assert account_balance("shipping_payable", w.coop.id) == -600
    second = _refund(order, "rest-of-shipping", mode="amount", amount_fen=600)
    assert second.lines == [] and [(rs.shipment_id, rs.amount_fen) for rs in second.shipping] == [(shipment.id, 600)]
    assert account_balance("shipping_payable", w.coop.id) == 0
    assert account_balance("shipping_pending", w.coop.id) == 0
    assert account_balance("commission") == 0  # shipping is the cooperative's: the platform gives none of it back
    assert check_ledger() == []


def test_shipping_is_refunded_in_shipment_order_each_off_its_own_cooperative(ctx):
    first_coop, second_coop = make_coop(shipping_fee_fen=1_000), make_coop(shipping_fee_fen=800)
    v1 = make_product(coop=first_coop, price_fen=500, units=5).variants[0]
    v2 = make_product(coop=second_coop, price_fen=700, units=5).variants[0]
    order = buy(quick_user(), (v1, 1), (v2, 1))
    assert order.total_fen == 500 + 700 + 1_000 + 800
    ships = {s.coop_id: s for s in order.shipments}
    _ship(order)

    refund = _refund(order, "lines-and-some-shipping", mode="amount", amount_fen=1_200 + 1_300)
    first, second = sorted(order.shipments, key=lambda s: s.id)
    taken = {rs.shipment_id: rs.amount_fen for rs in refund.shipping}
    assert taken == {first.id: first.shipping_fee_fen, second.id: 1_300 - first.shipping_fee_fen}
    for coop in (first_coop, second_coop):
        fee = ships[coop.id].shipping_fee_fen
        assert account_balance("shipping_pending", coop.id) == -(fee - taken[ships[coop.id].id])
    assert check_ledger() == []


def test_a_lines_refund_after_an_amount_refund_took_the_whole_line_is_refused(ctx):
    coop = make_coop(shipping_fee_fen=1_000)
    cheap = make_product(coop=coop, price_fen=100, units=5).variants[0]
    dear = make_product(coop=coop, price_fen=300, units=5).variants[0]
    order = buy(quick_user(), (cheap, 2), (dear, 1))
    first, second = order.lines  # in line order: the amount refund fills the first line first
    assert order.total_fen == 200 + 300 + 1_000
    _ship(order)

    taken = request_refund(order, mode="amount", key="first-line", staff_id=None, amount_fen=first.gross_fen)
    assert [(rl.line_id, rl.quantity, rl.amount_fen) for rl in taken.lines] == [(first.id, 0, first.gross_fen)]
    summary = refund_summary(order)  # still pending, and already counted
    assert (summary.pending_fen, summary.refunded_fen) == (first.gross_fen, 0)
    assert summary.refundable_fen == order.total_fen - first.gross_fen
    assert summary.line_left_fen[first.id] == 0

    with pytest.raises(RefundError):  # the units are still there, but not a fen of the line is
        request_refund(order, mode="lines", key="again", staff_id=None, quantities={first.id: 1})
    with pytest.raises(RefundError):
        request_refund(order, mode="amount", key="too-much", staff_id=None,
                       amount_fen=order.total_fen - first.gross_fen + 1)
    assert settle_refund(taken.id)
    with pytest.raises(RefundError):  # and not once it succeeded either
        request_refund(order, mode="lines", key="again-after", staff_id=None, quantities={first.id: 2})

    other = _refund(order, "second-line", mode="lines", quantities={second.id: 1})
    assert [(rl.line_id, rl.amount_fen) for rl in other.lines] == [(second.id, second.gross_fen)]
    rest = _refund(order, "rest", mode="whole")
    assert rest.amount_fen == 1_000 and rest.lines == []
    assert db.session.scalars(select(RefundShipping.amount_fen).where(RefundShipping.refund_id == rest.id)).all() \
        == [1_000]
    assert order.status == "refunded"
    assert check_ledger() == []


def test_a_failed_refund_gives_its_room_back(ctx):
    w = Walnuts()
    order = buy(quick_user(), (w.variant, 2))
    (line,) = order.lines
    pending = request_refund(order, mode="whole", key="whole", staff_id=None)
    assert pending.amount_fen == 14_600
    with pytest.raises(RefundError):  # everything is spoken for by the pending refund
        request_refund(order, mode="lines", key="one", staff_id=None, quantities={line.id: 1})
    assert fail_refund(pending.id, "bank said no")
    assert not settle_refund(pending.id)  # a failed refund never succeeds later
    one = _refund(order, "one", mode="lines", quantities={line.id: 1})
    assert one.amount_fen == 6_800
    assert sum(line_parts(line.id).values()) == 6_800
    assert account_balance("cash") == 14_600 - 6_800
    assert check_ledger() == []
