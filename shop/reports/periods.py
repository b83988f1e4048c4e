"""Periods of Shanghai dates as SQL conditions on ledger postings, and the Shanghai month of a posting."""
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, literal

from shop.extensions import db
from shop.ledger.models import LedgerPosting as P
from shop.types import SHOP_TZ, today_local


def start_of(day: date) -> datetime:
    """The moment a Shanghai day begins, as an aware datetime."""
    return datetime.combine(day, time(), SHOP_TZ)


def period_conditions(start: date | None, end: date | None) -> list:
    """Conditions on posted_at for a period of Shanghai dates, both ends included; None leaves an end open."""
    conds = []
    if start:
        conds.append(P.posted_at >= start_of(start))
    if end:
        conds.append(P.posted_at < start_of(end + timedelta(days=1)))
    return conds


def next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def split_period(start: date | None, end: date | None):
    """Split a period for the monthly roll-ups: ((first, last) whole months as YYYY-MM, None for an open end; or
    None when it holds no whole month), and the (first day, last day) ranges of the months it cuts into.

    A period that ends today or later is read as one without an end: the roll-up rows of the current month hold
    every posting up to now, and there is none after now, so that month counts as whole."""
    if start and end and start > end:
        return None, []
    if end is not None and end >= today_local():
        end = None
    first_full = start if start is None or start.day == 1 else next_month(start)
    last_full = end if end is None or next_month(end) - timedelta(days=1) == end \
        else end.replace(day=1) - timedelta(days=1)
    whole = None
    if first_full is None or last_full is None or first_full <= last_full:
        whole = (first_full and f"{first_full:%Y-%m}", last_full and f"{last_full:%Y-%m}")
    edges = []
    if start and start != first_full:  # the period starts inside a month
        month_end = next_month(start) - timedelta(days=1)
        edges.append((start, min(month_end, end) if end else month_end))
    if end and end != last_full and (not edges or end.replace(day=1) > edges[0][1]):  # it ends inside another
        edges.append((max(end.replace(day=1), start) if start else end.replace(day=1), end))
    return whole, edges


def split_period_cheaply(start: date | None, end: date | None):
    """split_period, but a month the period cuts into mostly is read whole from the roll-up less the days it
    leaves out: returns (whole months, day ranges to add, day ranges to take away). For sums only: a
    year from the 3rd to the 2nd reads four days of postings instead of a month's."""
    whole, edges = split_period(start, end)
    if not edges:
        return whole, edges, []
    first, last = whole or (None, None)
    add, minus = [], []
    for lo, hi in edges:
        month_start, month_end = lo.replace(day=1), next_month(lo) - timedelta(days=1)
        left_out = [(a, b) for a, b in ((month_start, lo - timedelta(days=1)), (hi + timedelta(days=1), month_end))
                    if a <= b]
        if sum((b - a).days + 1 for a, b in left_out) >= (hi - lo).days + 1:
            add.append((lo, hi))
            continue
        month = f"{lo:%Y-%m}"
        if whole is None:
            first = last = month
            whole = (first, last)
        else:  # the edge months are next to the whole ones: the range grows by one month
            first = month if first is not None and month < first else first
            last = month if last is not None and month > last else last
            whole = (first, last)
        minus += left_out
    return whole, add, minus


def in_months(column, whole) -> list:
    """Conditions on a YYYY-MM column for split_period's whole months."""
    first, last = whole
    return ([column >= first] if first else []) + ([column <= last] if last else [])


def local_month():
    """SQL for the Shanghai month (YYYY-MM) of a posting; Shanghai keeps UTC+8 all year."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(P.posted_at + literal(timedelta(hours=8)), "YYYY-MM")
    return func.strftime("%Y-%m", P.posted_at, "+8 hours")
