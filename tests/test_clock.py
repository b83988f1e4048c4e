"""shop.types.clock_at: holds the shop's clock at a moment (for loading history), and only inside it."""
import threading
from datetime import datetime, timedelta, timezone

import pytest

from shop.accounts.models import User
from shop.types import SHOP_TZ, clock_at, today_local, utcnow

MOMENT = datetime(2026, 1, 31, 17, 30, tzinfo=timezone.utc)  # 01:30 on 1 February in Longnan


def test_without_an_override_the_clock_is_real():
    before = datetime.now(timezone.utc)
    now = utcnow()
    assert before <= now <= datetime.now(timezone.utc)
    assert now.tzinfo is timezone.utc
    assert today_local() == datetime.now(SHOP_TZ).date()


def test_inside_clock_at_the_shop_lives_at_that_moment():
    with clock_at(MOMENT) as held:
        assert held == MOMENT
        assert utcnow() == MOMENT and utcnow().tzinfo is timezone.utc
        assert today_local().isoformat() == "2026-02-01"  # the local date, not the UTC one
    assert utcnow() - datetime.now(timezone.utc) < timedelta(seconds=5)


def test_clock_at_takes_any_timezone_and_gives_utc():
    with clock_at(MOMENT.astimezone(SHOP_TZ)):
        assert utcnow() == MOMENT and utcnow().utcoffset() == timedelta(0)


def test_clock_at_nests_and_restores_even_after_an_error():
    later = MOMENT + timedelta(days=3)
    with clock_at(MOMENT):
        with pytest.raises(RuntimeError):
            with clock_at(later):
                assert utcnow() == later
                raise RuntimeError("boom")
        assert utcnow() == MOMENT
    assert utcnow() != MOMENT


def test_clock_at_refuses_a_naive_moment():
    with pytest.raises(ValueError):
        with clock_at(datetime(2026, 1, 31, 17, 30)):
            pass


def test_other_threads_keep_the_real_clock():
    seen = []
    with clock_at(MOMENT):
        worker = threading.Thread(target=lambda: seen.append(utcnow()))
        worker.start()
        worker.join()
    assert seen[0] != MOMENT and seen[0].year >= 2026


def test_model_defaults_follow_the_held_clock(ctx):
    with clock_at(MOMENT):
        user = User(email="clock@example.com", password_hash="x")
        ctx.add(user)
        ctx.flush()
    assert user.created_at == MOMENT


def test_order_numbers_and_trace_codes_carry_longnans_date_not_utcs(ctx):
    from datetime import date

    from shop.checkout.services import new_checkout_token, place_order
    from shop.supply.services import record_supply_lot
    from tests.factories import make_address, make_cart, make_household, make_product, make_user

    product = make_product(units=5)
    household = make_household(product.coop)
    new_year = datetime(2026, 12, 31, 16, 12, tzinfo=timezone.utc)  # 00:12 on 1 January 2027 in Longnan
    with clock_at(new_year):
        lot = record_supply_lot(product.coop, product.variants[0].id, 3, date(2026, 12, 30),
                                [(household.id, 3)], user_id=None)
        user = make_user()
        order = place_order(user, make_cart(user, (product.variants[0], 1)), make_address(user),
                            new_checkout_token(), "zh")
    assert "-2027-" in lot.trace_code
    assert order.number.startswith("LN270101")
