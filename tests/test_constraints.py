"""Rules the database itself enforces, on SQLite and PostgreSQL alike."""
import pytest
from sqlalchemy.exc import IntegrityError

from shop.catalog.models import Variant
from shop.extensions import db
from shop.supply.models import LotShare
from tests.factories import add_lot, make_coop, make_household, make_product


def _fails(session, change):
    change()
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_negative_or_zero_price_is_refused(ctx):
    product = make_product()
    variant = product.variants[0]
    _fails(ctx, lambda: setattr(variant, "price_fen", -1))


def test_sku_and_slug_are_unique(ctx):
    product = make_product()
    sku = product.variants[0].sku
    _fails(ctx, lambda: ctx.add(Variant(product=product, sku=sku, name_zh="x", name_en="x",
                                        price_fen=100, net_weight_g=10)))


def test_lot_units_never_go_negative_or_above_received(ctx):
    lot = make_product(units=5).variants[0]
    lot = add_lot(lot, 5, [])
    _fails(ctx, lambda: setattr(lot, "units_remaining", -1))
    lot = add_lot(make_product(units=0).variants[0], 5, [])
    _fails(ctx, lambda: setattr(lot, "units_remaining", 6))


def test_trace_codes_are_unique(ctx):
    variant = make_product(units=0).variants[0]
    first = add_lot(variant, 5, [])
    second = add_lot(variant, 5, [])
    _fails(ctx, lambda: setattr(second, "trace_code", first.trace_code))


def test_a_household_appears_once_per_lot_with_positive_units(ctx):
    coop = make_coop()
    hh = make_household(coop)
    lot = add_lot(make_product(coop=coop, units=0).variants[0], 4, [hh])
    _fails(ctx, lambda: ctx.add(LotShare(lot=lot, household=hh, units=1)))
    lot = add_lot(make_product(coop=coop, units=0).variants[0], 4, [])
    _fails(ctx, lambda: ctx.add(LotShare(lot=lot, household=hh, units=0)))


def test_rates_are_basis_points_between_0_and_10000(ctx):
    coop = make_coop()
    _fails(ctx, lambda: setattr(coop, "commission_bp", 10001))
    coop = make_coop()
    _fails(ctx, lambda: setattr(coop, "status", "bogus"))


def test_foreign_keys_are_enforced(ctx):
    product = make_product(units=0)
    _fails(ctx, lambda: setattr(product, "coop_id", 999999))


def test_the_shipping_rule_makes_large_shipments_free(ctx):
    coop = make_coop(shipping_fee_fen=1200, free_shipping_over_fen=9900)
    assert coop.shipping_fee_for(9899) == 1200
    assert coop.shipping_fee_for(9900) == 0
    db.session.rollback()
