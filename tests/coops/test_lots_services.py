"""Recording supply lots, correcting them, and reading the stock arithmetic."""
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from shop.orders.services import cancel_order
from shop.supply.models import LotAdjustment, LotShare, SupplyLot
from shop.supply.services import (LotError, NotOwned, adjust_lot, list_lot_stock, record_supply_lot, to_units)
from shop.types import utcnow
from tests.coops.test_fulfilment_builders import HARVEST, CoopWorld, place_paid_order
from tests.factories import make_coop, make_household, make_product


@pytest.fixture(autouse=True)
def english(ctx):
    """Service messages in English, as a request with Accept-Language: en would get them."""
    with force_locale("en"):
        yield


def _lot(world, units=9, shares=None, unit="units"):
    shares = shares if shares is not None else [(hh.id, units // 3) for hh in world.households]
    return record_supply_lot(world.coop, world.variant.id, units, HARVEST, shares, world.manager.id, unit=unit)


def test_recording_a_lot_stores_shares_and_issues_a_readable_trace_code(ctx):
    world = CoopWorld()
    lot = _lot(world, 9)
    assert lot.units_received == lot.units_remaining == 9
    assert sorted((s.household_id, s.units) for s in lot.shares) == sorted((h.id, 3) for h in world.households)
    assert lot.trace_code == f"LN-{world.coop.slug.replace('-', '').upper()[:6]}-{utcnow():%Y}-{lot.id:05d}"
    assert len(lot.trace_code) <= 24 and lot.recorded_by_id == world.manager.id


def test_trace_codes_are_unique_per_lot(ctx):
    world = CoopWorld()
    codes = {_lot(world, 3).trace_code for _ in range(5)}
    assert len(codes) == 5


def test_the_cooperatives_own_stock_is_a_share_without_household(ctx):
    world = CoopWorld()
    lot = _lot(world, 10, [(world.households[0].id, 4), (None, 6)])
    assert {(s.household_id, s.units) for s in lot.shares} == {(world.households[0].id, 4), (None, 6)}


def test_kilograms_are_converted_to_whole_units(ctx):
    world = CoopWorld()
    world.variant.net_weight_g = 250
    lot = _lot(world, "3", [(world.households[0].id, "1.5"), (world.households[1].id, "1.5")], unit="kg")
    assert lot.units_received == 12 and sorted(s.units for s in lot.shares) == [6, 6]


@pytest.mark.parametrize("amount,unit,weight,expected", [
    ("40", "units", 1000, 40), ("12.5", "kg", 250, 50), ("0.25", "kg", 250, 1), ("1,000", "units", 1, 1000)])
def test_to_units_accepts_units_and_exact_kilograms(app, amount, unit, weight, expected):
    with app.test_request_context():
        assert to_units(amount, unit, weight) == expected


@pytest.mark.parametrize("amount,unit", [("1.1", "kg"), ("abc", "kg"), ("-2", "kg"), ("0", "units"), ("2.5", "units"),
                                         ("1e3", "units"), ("NaN", "kg"), ("0.0001", "kg"), ("", "units")])
def test_to_units_refuses_what_is_not_a_whole_number_of_units(app, amount, unit):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        with pytest.raises(LotError):
            to_units(amount, unit, 1000)


def test_kilograms_that_do_not_divide_into_units_are_refused_with_a_clear_message(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        with pytest.raises(LotError, match="not a whole number of 1000 g units"):
            to_units("1.5", "kg", 1000)


@pytest.mark.parametrize("shares,message", [
    (lambda w: [(w.households[0].id, 5), (w.households[1].id, 3)], "add up exactly"),
    (lambda w: [(w.households[0].id, 5), (w.households[0].id, 4)], "only once"),
    (lambda w: [(None, 5), (None, 4)], "only once"),
    (lambda w: [], "at least one household"),
])
def test_shares_must_add_up_and_name_each_household_once(ctx, shares, message):
    world = CoopWorld()
    with pytest.raises(LotError, match=message):
        _lot(world, 9, shares(world))
    assert ctx.scalar(select(func.count()).select_from(SupplyLot)) == 0


def test_a_harvest_in_the_future_is_refused(ctx):
    world = CoopWorld()
    with pytest.raises(LotError, match="future"):
        record_supply_lot(world.coop, world.variant.id, 3, utcnow().date() + timedelta(days=2),
                          [(None, 3)], world.manager.id)


def test_another_cooperatives_variant_or_household_is_not_owned(ctx):
    world, other = CoopWorld(), CoopWorld()
    with pytest.raises(NotOwned):
        record_supply_lot(world.coop, other.variant.id, 3, HARVEST, [(None, 3)], world.manager.id)
    with pytest.raises(NotOwned):
        record_supply_lot(world.coop, world.variant.id, 3, HARVEST, [(other.households[0].id, 3)], world.manager.id)
    with pytest.raises(NotOwned):
        record_supply_lot(world.coop, None, 3, HARVEST, [(None, 3)], world.manager.id)
    assert ctx.scalar(select(func.count()).select_from(LotShare)) == 0


def test_writing_off_takes_only_free_units(ctx):
    world = CoopWorld()
    lot = _lot(world, 9)
    place_paid_order(world.variant, 4)
    adjust_lot(lot, -3, "mould in storage", world.manager.id)
    assert lot.units_remaining == 2
    with pytest.raises(LotError, match="Only 2 units"):
        adjust_lot(lot, -3, "more mould", world.manager.id)
    stock = list_lot_stock(world.coop.id, lot_ids=[lot.id])[0]
    assert (stock.received, stock.remaining, stock.reserved, stock.sold, stock.written_off) == (9, 2, 0, 4, 3)


def test_adding_back_is_limited_to_what_was_written_off(ctx):
    world = CoopWorld()
    lot = _lot(world, 9)
    with pytest.raises(LotError, match="At most 0 units"):
        adjust_lot(lot, 1, "recount", world.manager.id)
    adjust_lot(lot, -4, "recount", world.manager.id)
    adjust_lot(lot, 3, "found a crate", world.manager.id)
    with pytest.raises(LotError, match="At most 1 units"):
        adjust_lot(lot, 2, "found more", world.manager.id)
    assert lot.units_remaining == 8
    assert [a.units_delta for a in ctx.scalars(select(LotAdjustment).order_by(LotAdjustment.id))] == [-4, 3]


def test_an_adjustment_needs_a_reason_and_units(ctx):
    world = CoopWorld()
    lot = _lot(world, 9)
    with pytest.raises(LotError):
        adjust_lot(lot, -1, "  ", world.manager.id)
    with pytest.raises(LotError):
        adjust_lot(lot, 0, "nothing", world.manager.id)


def test_stock_separates_reserved_from_sold_and_released_units_come_back(ctx):
    world = CoopWorld()
    lot = _lot(world, 9)
    unpaid = place_paid_order(world.variant, 2, pay=False)
    place_paid_order(world.variant, 3)
    stock = list_lot_stock(world.coop.id, world.variant.id)[0]
    assert (stock.remaining, stock.reserved, stock.sold) == (4, 2, 3)
    cancel_order(unpaid, "buyer")
    stock = list_lot_stock(world.coop.id)[0]
    assert (stock.remaining, stock.reserved, stock.sold) == (6, 0, 3)
    assert stock.lot.id == lot.id


def test_lot_stock_lists_only_the_cooperatives_own_lots(ctx):
    world = CoopWorld()
    _lot(world, 3, [(None, 3)])
    make_product(coop=make_coop(), units=5, households=[make_household(make_coop())])
    assert len(list_lot_stock(world.coop.id)) == 1
