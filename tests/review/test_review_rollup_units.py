"""Review of the monthly roll-up (7ddb51c): the earnings page's "units sold" per product.

ledger_months counts a line's quantity on the line's commission posting of the payment. A posting of zero fen
is never written (post() drops it; CHECK amount_nonzero), so a line whose commission is 0 fen, every line of a
cooperative with a 0 % commission (allowed: commission_bp BETWEEN 0 AND 10000), or a cheap line whose commission
rounds to 0, is sold without any unit counted: the earnings page and its CSV say 0 units sold."""
from collections import defaultdict
from sqlalchemy import select

from shop.extensions import db
from shop.ledger.check import check_ledger
from shop.ledger.rollup import rebuild_ledger_months
from shop.orders.models import Order, OrderLine, Shipment
from shop.reports.earnings import build_earnings_report
from shop.types import today_local
from tests.reports.income_world import IncomeWorld


def _units_paid(coop_id, start=None, end=None):
    """Units of the cooperative's paid lines per product, from the orders (every world order is paid)."""
    units = defaultdict(int)
    for slug, qty in db.session.execute(
            select(OrderLine.product_slug, OrderLine.quantity).join(Shipment, Shipment.id == OrderLine.shipment_id)
            .join(Order, Order.id == OrderLine.order_id)
            .where(Shipment.coop_id == coop_id, Order.paid_at.is_not(None))):
        units[slug] += qty
    return dict(units)


def test_units_sold_are_counted_for_a_cooperative_without_commission(ctx):
    world = IncomeWorld()
    ctx.commit()
    zero = world.coops[2]
    assert zero.commission_bp == 0
    for coop in world.coops:
        want = _units_paid(coop.id)
        assert want, coop.id
        report = build_earnings_report(coop.id)
        assert {row.slug: row.units for row in report.products} == want, coop.id
        # A period whose days are read from the postings (a month cut at both ends) counts them the same way.
        today = today_local()  # the world's orders are paid now (only settlements and refunds are dated back)
        cut = build_earnings_report(coop.id, today, today)
        assert {row.slug: row.units for row in cut.products} == want, coop.id
    # The roll-up rebuilt from the postings (migration 0016, `ledger rebuild-months`) agrees with post().
    assert check_ledger() == []
    rebuild_ledger_months()
    assert check_ledger() == []
    assert {row.slug: row.units for row in build_earnings_report(zero.id).products} == _units_paid(zero.id)


def test_migration_0016_backfill_writes_the_rows_post_writes(tmp_path):
    """Migration 0016 fills ledger_months from the postings: the same rows, units included, as post() kept."""
    from flask_migrate import downgrade, upgrade

    from shop.ledger.models import LedgerMonth as M
    from tests.conftest import fresh_app

    columns = (M.coop_id, M.account, M.kind, M.household_id, M.product_slug, M.month, M.amount_fen, M.units)
    with fresh_app(tmp_path) as app, app.app_context():
        upgrade()
        IncomeWorld()
        db.session.commit()
        kept = sorted(tuple(r) for r in db.session.execute(select(*columns)))
        assert any(r[1] == "commission" for r in kept) and sum(r[-1] for r in kept) > 0
        db.session.remove()
        downgrade(revision="0015")
        upgrade()
        filled = sorted(tuple(r) for r in db.session.execute(select(*columns)))
        assert filled == kept
