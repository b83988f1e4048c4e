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


def in_months(column, whole) -> list:
    """Conditions on a YYYY-MM column for split_period's whole months."""
    first, last = whole
    return ([column >= first] if first else []) + ([column <= last] if last else [])


def local_month():
    """SQL for the Shanghai month (YYYY-MM) of a posting; Shanghai keeps UTC+8 all year."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(P.posted_at + literal(timedelta(hours=8)), "YYYY-MM")
    return func.strftime("%Y-%m", P.posted_at, "+8 hours")
