"""Periods of Shanghai dates as SQL conditions on ledger postings, and the Shanghai month of a posting."""
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, literal

from shop.extensions import db
from shop.ledger.models import LedgerPosting as P
from shop.types import SHOP_TZ


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


def local_month():
    """SQL for the Shanghai month (YYYY-MM) of a posting; Shanghai keeps UTC+8 all year."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(P.posted_at + literal(timedelta(hours=8)), "YYYY-MM")
    return func.strftime("%Y-%m", P.posted_at, "+8 hours")
