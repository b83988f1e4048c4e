"""Earnings from the frozen line splits: by product, by month, per household, and the balance."""
from datetime import datetime, timezone

from flask_babel import force_locale

from shop.coops.earnings import build_earnings_report, earnings_csv
from shop.coops.fulfilment import ship_shipment
from shop.orders.services import confirm_receipt
from shop.supply.services import record_supply_lot
from tests.coops.test_fulfilment_builders import HARVEST, CoopWorld, place_paid_order


def _world_with_sales(ctx):
    """Two households gave 50 and 30 units and the coop 20 (DOMAIN.md's worked example)."""
    world = CoopWorld(households=2, commission_bp=500, retention_bp=1000, shipping_fee_fen=1000)
    a, b = world.households
    record_supply_lot(world.coop, world.variant.id, 100, HARVEST, [(a.id, 50), (b.id, 30), (None, 20)],
                      world.manager.id)
    delivered = place_paid_order(world.variant, 2)
    ship_shipment(delivered.shipments[0], "EMS", "EMS00000001")
    confirm_receipt(delivered, delivered.shipments[0].id)
    in_transit = place_paid_order(world.variant, 1)
    place_paid_order(world.variant, 1, pay=False)  # unpaid orders earn nothing
    delivered.paid_at = datetime(2026, 1, 31, 17, 0, tzinfo=timezone.utc)  # 1 February in Shanghai
    in_transit.paid_at = datetime(2026, 3, 3, 2, 0, tzinfo=timezone.utc)
    ctx.flush()
    return world


def test_report_sums_the_frozen_splits_and_the_balance(ctx):
    world = _world_with_sales(ctx)
    report = build_earnings_report(world.coop.id)
    gross = 3 * 6800
    assert report.total.gross_fen == gross and report.total.units == 3
    assert report.total.commission_fen + report.total.retention_fen + report.total.pool_fen == gross
    assert report.total.shipping_fen == 2000
    # Delivered: 2 × ¥68.00 = 13,600; F 680; K 1,292 + the coop's own 20 % of H; H split 50/30.
    d = report.delivered
    assert (d.gross_fen, d.commission_fen) == (13_600, 680)
    assert d.retention_fen + d.pool_fen == 13_600 - 680
    assert report.payouts_received_fen == 0
    assert report.balance_pending_fen == d.retention_fen + d.shipping_fen + d.pool_fen


def test_products_months_and_households(ctx):
    world = _world_with_sales(ctx)
    report = build_earnings_report(world.coop.id)
    assert [(p.slug, p.sales.units) for p in report.products] == [(world.product.slug, 3)]
    assert [(month, s.units) for month, s in report.months] == [("2026-03", 1), ("2026-02", 2)]
    a, b = world.households
    rows = {h.household_id: h for h in report.households}
    assert set(rows) == {a.id, b.id}
    assert rows[a.id].share_fen + rows[b.id].share_fen == report.total.pool_fen
    assert rows[a.id].delivered_fen + rows[b.id].delivered_fen == report.delivered.pool_fen
    assert rows[a.id].registry_code_masked.endswith(a.registry_code[-3:])
    assert a.registry_code not in rows[a.id].registry_code_masked
    assert rows[a.id].head_name == a.head_name and rows[a.id].registered_poor


def test_another_cooperatives_sales_are_not_counted(ctx):
    _world_with_sales(ctx)
    report = build_earnings_report(CoopWorld().coop.id)
    assert report.total.gross_fen == 0 and report.products == [] and report.households == []


def test_csv_has_a_bom_yuan_strings_and_no_formulas(ctx):
    world = _world_with_sales(ctx)
    world.households[0].head_name = "=HYPERLINK(1)"
    ctx.flush()
    report = build_earnings_report(world.coop.id)
    with force_locale("en"):
        text = earnings_csv(report, "products", "en")
        households = earnings_csv(report, "households", "en")
        months = earnings_csv(report, "months", "en")
    assert text.startswith("\ufeffProduct,")
    assert "204.00" in text  # 3 × ¥68.00
    assert "'=HYPERLINK(1)" in households
    assert "2026-02,2,136.00,6.80," in months
