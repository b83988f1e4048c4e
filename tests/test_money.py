"""Tests for shop.money: integer fen, basis points, exact largest-remainder splits."""
from fractions import Fraction

import pytest
from flask import Flask, render_template_string
from flask_babel import Babel, force_locale
from hypothesis import given, settings
from hypothesis import strategies as st

from shop.money import (LineSplit, LotSource, apply_bp, fen_to_yuan_str, format_fen, init_app,
                        parse_yuan, reverse_parts, split_exact, split_line)

PROPS = settings(database=None, deadline=None, max_examples=300)
A, B, C = 1, 2, 3  # household ids


# ---- the worked example in DOMAIN.md -------------------------------------------------------

def test_domain_worked_example():
    gross = 2 * parse_yuan("68.00")
    assert gross == 13_600
    line = split_line(gross, 500, 1_000, [LotSource(lot_id=7, units_taken=2, shares=((A, 50), (B, 30), (C, 20)))])
    assert line == LineSplit(gross_fen=13_600, commission_fen=680, retention_fen=1_292,
                             household_pool_fen=11_628, household_shares=((A, 5_814), (B, 3_488), (C, 2_326)))


def test_domain_worked_example_split_exact():
    assert split_exact(11_628, [("A", 50), ("B", 30), ("C", 20)]) == [("A", 5_814), ("B", 3_488), ("C", 2_326)]


# ---- apply_bp ------------------------------------------------------------------------------

@pytest.mark.parametrize("amount, bp, expected", [
    (1, 5000, 1), (3, 5000, 2), (-3, 5000, -2), (-1, 5000, -1), (2, 5000, 1), (0, 5000, 0),
    (13_600, 500, 680), (12_920, 1_000, 1_292), (149, 100, 1), (150, 100, 2), (-150, 100, -2),
    (-149, 100, -1), (12_345, 0, 0), (12_345, 10_000, 12_345), (1, 1, 0), (5_000, 1, 1), (4_999, 1, 0),
])
def test_apply_bp_rounds_half_up(amount, bp, expected):
    assert apply_bp(amount, bp) == expected


@pytest.mark.parametrize("amount, bp", [(100, -1), (100, 10_001), (100.0, 500), (100, 5.0), (True, 500),
                                        (100, True), ("100", 500), (100, None), (Fraction(1), 500)])
def test_apply_bp_rejects_bad_input(amount, bp):
    with pytest.raises(ValueError):
        apply_bp(amount, bp)


# ---- split_exact ---------------------------------------------------------------------------

def test_split_exact_ties_go_to_the_earlier_item():
    assert split_exact(1, [("x", 1), ("y", 1)]) == [("x", 1), ("y", 0)]
    assert split_exact(1, [("y", 1), ("x", 1)]) == [("y", 1), ("x", 0)]
    assert split_exact(2, [("a", 1), ("b", 1), ("c", 1)]) == [("a", 1), ("b", 1), ("c", 0)]
    assert split_exact(-1, [("x", 1), ("y", 1)]) == [("x", -1), ("y", 0)]


def test_split_exact_largest_fraction_wins_over_order():
    assert split_exact(1, [("a", 1), ("b", 2)]) == [("a", 0), ("b", 1)]


def test_split_exact_keeps_order_repeated_and_none_keys_and_zero_weights():
    assert split_exact(10, [(None, 1), ("k", 0), ("k", 1), (None, Fraction(1, 2))]) == [
        (None, 4), ("k", 0), ("k", 4), (None, 2)]
    assert split_exact(0, [("a", 3), ("b", 1)]) == [("a", 0), ("b", 0)]
    assert split_exact(-10, [("a", 1), ("b", 1), ("c", 1)]) == [("a", -4), ("b", -3), ("c", -3)]


@pytest.mark.parametrize("total, weights", [(10, []), (10, [("a", -1), ("b", 2)]), (10, [("a", 0), ("b", 0)]),
                                            (10, [("a", 1.5)]), (10, [("a", True)]), (10.0, [("a", 1)]),
                                            (True, [("a", 1)])])
def test_split_exact_rejects_bad_input(total, weights):
    with pytest.raises(ValueError):
        split_exact(total, weights)


# ---- split_line ----------------------------------------------------------------------------

def test_split_line_coop_stock_goes_to_retention():
    line = split_line(13_600, 500, 1_000, [LotSource(7, 2, ((A, 50), (None, 30), (C, 20)))])
    assert line.household_shares == ((A, 5_814), (C, 2_326))
    assert line.retention_fen == 1_292 + 3_488
    assert line.household_pool_fen == 5_814 + 2_326
    assert line.commission_fen + line.retention_fen + line.household_pool_fen == 13_600


def test_split_line_ties_go_to_lower_household_id_and_coop_last():
    assert split_line(1, 0, 0, [LotSource(1, 1, ((9, 1), (4, 1)))]).household_shares == ((4, 1), (9, 0))
    line = split_line(1, 0, 0, [LotSource(1, 1, ((None, 1), (9, 1)))])
    assert (line.retention_fen, line.household_shares) == (0, ((9, 1),))
    # the same household in two lots: the pair from the lower lot id comes first
    line = split_line(3, 0, 0, [LotSource(8, 1, ((5, 1), (6, 1))), LotSource(2, 1, ((5, 1), (6, 1)))])
    assert line.household_shares == ((5, 2), (6, 1))
    # pairs are ordered by household id before lot id
    line = split_line(1, 0, 0, [LotSource(1, 1, ((6, 1),)), LotSource(2, 1, ((5, 1),))])
    assert line.household_shares == ((5, 1), (6, 0))


def test_split_line_two_lots_aggregate_per_household():
    # 3 units: 1 from lot 1 (A 1 : B 1), 2 from lot 2 (B 1 : C 3); H = 10,000 fen
    line = split_line(10_000, 0, 0, [LotSource(2, 2, ((C, 3), (B, 1))), LotSource(1, 1, ((A, 1), (B, 1)))])
    # exact: A 1666.67 (lot 1), B 1666.67 (lot 1) + 1666.67 (lot 2), C 5000
    assert line.household_shares == ((A, 1_667), (B, 3_333), (C, 5_000))
    assert sum(fen for _, fen in line.household_shares) == line.household_pool_fen == 10_000


def test_split_line_empty_sources_pool_goes_to_retention():
    line = split_line(13_600, 500, 1_000, [])
    assert line == LineSplit(13_600, 680, 12_920, 0, ())


def test_split_line_zero_gross():
    line = split_line(0, 500, 1_000, [LotSource(7, 2, ((A, 1), (B, 1)))])
    assert line == LineSplit(0, 0, 0, 0, ((A, 0), (B, 0)))


@pytest.mark.parametrize("sources", [
    [LotSource(1, 1, ())], [LotSource(1, 1, ((A, 0),))], [LotSource(1, 1, ((A, -1), (B, 2)))],
    [LotSource(1, -1, ((A, 1),))], [LotSource(1, 0, ((A, 1),))], [LotSource(1, 1.0, ((A, 1),))],
])
def test_split_line_rejects_bad_sources(sources):
    with pytest.raises(ValueError):
        split_line(100, 500, 1_000, sources)


@pytest.mark.parametrize("commission_bp, retention_bp", [(-1, 0), (0, 10_001), (500.0, 0)])
def test_split_line_rejects_bad_rates(commission_bp, retention_bp):
    with pytest.raises(ValueError):
        split_line(100, commission_bp, retention_bp, [])


# ---- reverse_parts -------------------------------------------------------------------------

def test_reverse_parts_examples():
    parts = [(A, 5_814), (B, 3_488), (C, 2_326)]
    assert reverse_parts(11_628, parts) == parts
    assert reverse_parts(0, parts) == [(A, 0), (B, 0), (C, 0)]
    assert reverse_parts(1_000, parts) == [(A, 500), (B, 300), (C, 200)]
    assert reverse_parts(0, [("a", 0), ("b", 0)]) == [("a", 0), ("b", 0)]
    assert reverse_parts(0, []) == []


@pytest.mark.parametrize("refund, parts", [(-1, [("a", 5)]), (6, [("a", 5)]), (1, []), (1, [("a", 0)]),
                                           (1, [("a", -1), ("b", 3)]), (1.0, [("a", 5)]), (1, [("a", 5.0)])])
def test_reverse_parts_rejects_bad_input(refund, parts):
    with pytest.raises(ValueError):
        reverse_parts(refund, parts)


# ---- properties ----------------------------------------------------------------------------

weight = st.one_of(st.integers(0, 10**6), st.fractions(min_value=0, max_value=1000, max_denominator=1000))
weights = st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 5)), weight), min_size=1, max_size=12).filter(
    lambda ws: any(w > 0 for _, w in ws))
lot_sources = st.lists(st.builds(
    LotSource, lot_id=st.integers(1, 6), units_taken=st.integers(1, 50),
    shares=st.lists(st.tuples(st.one_of(st.none(), st.integers(1, 8)), st.integers(0, 100)), min_size=1,
                    max_size=5).filter(lambda s: any(u > 0 for _, u in s)).map(tuple)), max_size=4)


@PROPS
@given(total=st.integers(-10**9, 10**9), ws=weights)
def test_split_exact_is_exact_close_and_deterministic(total, ws):
    out = split_exact(total, ws)
    assert sum(fen for _, fen in out) == total
    assert [k for k, _ in out] == [k for k, _ in ws]
    whole = sum(Fraction(w) for _, w in ws)
    for (_, w), (_, fen) in zip(ws, out):
        assert abs(fen - total * Fraction(w) / whole) < 1
        assert type(fen) is int
    assert split_exact(total, list(ws)) == out


@PROPS
@given(gross=st.integers(0, 10**9), commission=st.integers(0, 10_000), retention=st.integers(0, 10_000),
       sources=lot_sources)
def test_split_line_invariants(gross, commission, retention, sources):
    line = split_line(gross, commission, retention, sources)
    shares = [fen for _, fen in line.household_shares]
    assert line.commission_fen + line.retention_fen + sum(shares) == gross
    assert line.commission_fen + line.retention_fen + line.household_pool_fen == gross
    assert sum(shares) == line.household_pool_fen
    assert all(fen >= 0 for fen in shares) and line.retention_fen >= 0
    ids = [hh for hh, _ in line.household_shares]
    assert ids == sorted(set(ids))
    assert split_line(gross, commission, retention, list(sources)) == line


@PROPS
@given(gross=st.integers(0, 10**8), commission=st.integers(0, 3_000), retention=st.integers(0, 3_000),
       sources=lot_sources, data=st.data())
def test_refunds_of_a_line(gross, commission, retention, sources, data):
    parts = list(split_line(gross, commission, retention, sources).household_shares)
    whole = sum(fen for _, fen in parts)
    assert reverse_parts(whole, parts) == parts  # a full refund nets every household to zero
    refund = data.draw(st.integers(0, whole))
    back = reverse_parts(refund, parts)
    assert sum(fen for _, fen in back) == refund
    assert all(0 <= fen <= orig for (_, fen), (_, orig) in zip(back, parts))


@PROPS
@given(parts=st.lists(st.tuples(st.integers(1, 9), st.integers(0, 10**6)), min_size=1, max_size=8),
       data=st.data())
def test_partial_refunds_that_add_up_to_the_whole_return_every_part(parts, data):
    # Each refund is split as the difference of the cumulative refunds' splits: exact by telescoping.
    whole = sum(fen for _, fen in parts)
    cuts = sorted(data.draw(st.lists(st.integers(0, whole), max_size=5))) + [whole]
    refunded_before, net = 0, [0] * len(parts)
    for cumulative in cuts:
        now = reverse_parts(cumulative, parts)
        before = reverse_parts(refunded_before, parts)
        step = [a - b for (_, a), (_, b) in zip(now, before)]
        assert sum(step) == cumulative - refunded_before
        net = [n + s for n, s in zip(net, step)]
        refunded_before = cumulative
    assert net == [fen for _, fen in parts]


# ---- parsing and formatting ----------------------------------------------------------------

@pytest.mark.parametrize("text, fen", [
    ("68", 6_800), ("68.5", 6_850), ("68.00", 6_800), ("68.05", 6_805), ("1,234.50", 123_450), ("0", 0),
    ("0.01", 1), ("¥68", 6_800), ("￥ 68.5", 6_850), ("  ¥ 1,234,567.89 ", 123_456_789), ("1234567", 123_456_700),
    ("10,000,000", 1_000_000_000), ("007.10", 710), ("６８．５", 6_850),
])
def test_parse_yuan_good(text, fen):
    assert parse_yuan(text) == fen


@pytest.mark.parametrize("text", [
    "", "   ", "¥", "-5", "¥-5", "68.001", "68.", ".5", "abc", "68元", "1,23.00", "12,34", "1e3", "NaN",
    "10,000,000.01", "99999999999", "6 8", "+5", "¥¥5", "68,5", "1" * 5000, None, 68, 68.5,
])
def test_parse_yuan_bad(text):
    with pytest.raises(ValueError):
        parse_yuan(text)


@pytest.mark.parametrize("fen, shown, plain", [
    (0, "¥0.00", "0.00"), (5, "¥0.05", "0.05"), (123_456, "¥1,234.56", "1234.56"), (-1_200, "-¥12.00", "-12.00"),
    (-5, "-¥0.05", "-0.05"), (123_450, "¥1,234.50", "1234.50"), (100_000_000_000, "¥1,000,000,000.00",
                                                                 "1000000000.00"),
])
def test_format_fen(fen, shown, plain):
    assert format_fen(fen) == format_fen(fen, "zh") == format_fen(fen, "en") == shown
    assert fen_to_yuan_str(fen) == plain


@pytest.mark.parametrize("bad", [1.5, True, "5", None])
def test_format_fen_rejects_non_int(bad):
    with pytest.raises(ValueError):
        format_fen(bad)
    with pytest.raises(ValueError):
        fen_to_yuan_str(bad)


@PROPS
@given(fen=st.integers(0, 1_000_000_000))
def test_plain_yuan_round_trips(fen):
    assert parse_yuan(fen_to_yuan_str(fen)) == fen
    assert parse_yuan(format_fen(fen)) == fen


def test_jinja_filters():
    app = Flask(__name__)
    Babel(app)
    init_app(app)
    template = "{{ 123450|fen }} {{ -1200|fen }} {{ 500|bp_percent }} {{ 1250|bp_percent }} {{ 1|bp_percent }}"
    expected = "¥1,234.50 -¥12.00 5% 12.5% 0.01%"
    with app.test_request_context():
        assert render_template_string(template) == expected
        for lang in ("zh", "en"):
            with force_locale(lang):
                assert render_template_string(template) == expected
    assert app.jinja_env.filters["fen"](5) == "¥0.05"  # no request: falls back to zh


@pytest.mark.parametrize("bp, text", [(0, "0%"), (500, "5%"), (1_250, "12.5%"), (1_205, "12.05%"), (1, "0.01%"),
                                      (10_000, "100%"), (1_000, "10%"), (-250, "-2.5%")])
def test_bp_percent(bp, text):
    app = Flask(__name__)
    init_app(app)
    assert app.jinja_env.filters["bp_percent"](bp) == text
