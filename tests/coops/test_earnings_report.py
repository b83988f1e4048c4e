"""Earnings read from the ledger: sales, refunds, settled, paid out, owed, per month, product and household."""
from datetime import date, datetime, timedelta, timezone

from flask_babel import force_locale
from sqlalchemy import update

from shop.coops.fulfilment import ship_shipment
from shop.ledger.models import LedgerPosting
from shop.ledger.rollup import rebuild_ledger_months
from shop.orders.services import confirm_receipt
from shop.payments.refunds import request_refund, settle_refund
from shop.payouts.services import mark_payout_paid, run_payouts
from shop.payouts.settlement import settle_due_shipments
from shop.reports.earnings import build_earnings_report, earnings_csv
from shop.supply.services import record_supply_lot
from tests.coops.test_fulfilment_builders import HARVEST, CoopWorld, place_paid_order

LATER = datetime.now(timezone.utc) + timedelta(days=30)


def _world_with_sales(ctx):
    """Households A and B gave 50 and 30 units, the coop 20; one order delivered, one in transit."""
    world = CoopWorld(households=2, commission_bp=500, retention_bp=1000, shipping_fee_fen=1000)
    a, b = world.households
    record_supply_lot(world.coop, world.variant.id, 100, HARVEST, [(a.id, 50), (b.id, 30), (None, 20)],
                      world.manager.id)
    world.delivered = place_paid_order(world.variant, 2)
    ship_shipment(world.delivered.shipments[0], "EMS", "EMS00000001")
    confirm_receipt(world.delivered, world.delivered.shipments[0].id)
    world.in_transit = place_paid_order(world.variant, 1)
    place_paid_order(world.variant, 1, pay=False)  # unpaid orders earn nothing
    ctx.flush()
    return world


def test_sales_split_and_nothing_owed_before_settlement(ctx):
    world = _world_with_sales(ctx)
    report = build_earnings_report(world.coop.id)
    p = report.period
    assert p.gross_fen == 3 * 6800 and p.shipping_fen == 2000
    assert p.commission_fen + p.retention_fen + p.pool_fen == p.gross_fen
    assert report.owed_fen == 0 and p.settled_fen == 0 and p.paid_out_fen == 0
    assert report.pending_fen == p.gross_fen - p.commission_fen + p.shipping_fen
    assert [(row.slug, row.units) for row in report.products] == [(world.product.slug, 3)]


def test_settled_owed_and_paid_out_equal_what_the_payout_pays(app, ctx):
    app.config["PAYOUT_MINIMUM_FEN"] = 1
    world = _world_with_sales(ctx)
    assert settle_due_shipments(LATER) == 1
    report = build_earnings_report(world.coop.id)
    delivered = world.delivered
    coop_part = delivered.total_fen - sum(line.commission_fen for line in delivered.lines)
    assert report.owed_fen == report.period.settled_fen == coop_part
    run = run_payouts()
    (payout,) = run.payouts
    assert payout.amount_fen == coop_part
    assert mark_payout_paid(payout.id, "BANK-REF-1")
    after = build_earnings_report(world.coop.id)
    assert after.owed_fen == 0 and after.period.paid_out_fen == coop_part
    rows = {h.household_id: h for h in after.households}
    assert sum(h.income_fen for h in rows.values()) == sum(s.amount_fen for line in delivered.lines
                                                            for s in line.shares)


def test_a_refund_after_settlement_is_taken_off_what_is_owed(app, ctx):
    world = _world_with_sales(ctx)
    settle_due_shipments(LATER)
    owed = build_earnings_report(world.coop.id).owed_fen
    refund = request_refund(world.delivered, mode="amount", key="k-1", staff_id=None, amount_fen=1000)
    assert settle_refund(refund.id)
    report = build_earnings_report(world.coop.id)
    assert report.period.refunded_fen == 1000
    # The platform gives back its commission on the refunded part; the rest comes off the coop.
    commission_back = sum(p.amount_fen for p in ctx.query(LedgerPosting).filter_by(kind="refund",
                                                                                   account="commission"))
    assert report.owed_fen == owed - (1000 - commission_back)


def test_period_filter_and_months_use_shanghai_dates(ctx):
    world = _world_with_sales(ctx)
    # Move the delivered order's payment to 31 January 17:00 UTC = 1 February in Shanghai.
    ctx.execute(update(LedgerPosting).where(LedgerPosting.order_id == world.delivered.id)
                .values(posted_at=datetime(2026, 1, 31, 17, 0, tzinfo=timezone.utc)))
    rebuild_ledger_months()  # the roll-up follows the postings moved past post()
    ctx.expire_all()
    february = build_earnings_report(world.coop.id, date(2026, 2, 1), date(2026, 2, 28))
    assert february.period.gross_fen == 2 * 6800
    assert build_earnings_report(world.coop.id, date(2026, 1, 1), date(2026, 1, 31)).period.gross_fen == 0
    months = dict(build_earnings_report(world.coop.id).months)
    assert months["2026-02"].gross_fen == 2 * 6800


def test_another_cooperatives_sales_are_not_counted(ctx):
    _world_with_sales(ctx)
    report = build_earnings_report(CoopWorld().coop.id)
    assert report.period.gross_fen == 0 and report.products == [] and report.households == []


def test_csv_has_a_bom_yuan_strings_villages_and_no_formulas(ctx):
    world = _world_with_sales(ctx)
    world.households[0].head_name = "=HYPERLINK(1)"
    ctx.flush()
    report = build_earnings_report(world.coop.id)
    with force_locale("en"):
        products = earnings_csv(report, "products", "en")
        households = earnings_csv(report, "households", "en")
    assert products.startswith("\ufeffProduct,") and "204.00" in products  # 3 × ¥68.00
    assert "'=HYPERLINK(1)" in households and world.coop.village.name_en in households
