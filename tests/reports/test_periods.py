"""split_period_cheaply: whole months plus the added days less the days taken away are exactly the period's
days, and no more days are read from the postings than split_period reads."""
from collections import Counter
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from shop.reports.periods import next_month, split_period, split_period_cheaply

LOW, HIGH = date(2024, 1, 1), date(2027, 12, 31)  # open ends stand for these; today is inside


def _days(lo: date, hi: date) -> Counter:
    return Counter(lo + timedelta(days=i) for i in range((hi - lo).days + 1))


def _month_days(whole) -> Counter:
    if whole is None:
        return Counter()
    first, last = whole
    lo = date.fromisoformat(f"{first}-01") if first else LOW
    hi = next_month(date.fromisoformat(f"{last}-01")) - timedelta(days=1) if last else HIGH
    return _days(lo, hi)


def _count(ranges) -> int:
    return sum((hi - lo).days + 1 for lo, hi in ranges)


@settings(max_examples=400, deadline=None, database=None)
@given(start=st.none() | st.dates(LOW, HIGH - timedelta(days=400)), length=st.integers(0, 400),
       open_end=st.booleans())
def test_the_cheap_split_covers_the_period_exactly(start, length, open_end):
    end = None if open_end else (start or LOW) + timedelta(days=length)
    whole, edges = split_period(start, end)
    cheap_whole, add, minus = split_period_cheaply(start, end)
    expected = _month_days(whole)
    for lo, hi in edges:
        expected += _days(lo, hi)
    got = _month_days(cheap_whole)
    for lo, hi in add:
        assert not (_days(lo, hi) & got)  # added days are outside the whole months
        got += _days(lo, hi)
    for lo, hi in minus:
        assert _days(lo, hi) <= got  # taken only from days that were counted
        got -= _days(lo, hi)
    assert got == expected
    assert _count(add) + _count(minus) <= _count(edges)


def test_a_year_from_the_third_reads_four_days():
    whole, add, minus = split_period_cheaply(date(2025, 12, 3), date(2026, 12, 2))
    assert whole == ("2025-12", "2026-11")
    assert minus == [(date(2025, 12, 1), date(2025, 12, 2))] and add == [(date(2026, 12, 1), date(2026, 12, 2))]
