"""Where the money went, for everyone: income delivered to households since launch, by year, by month, by
county and village, and by product; how many households and registered-poor households it reached.

"Income delivered to households" is the staff reports' figure (shop/reports/income.py): households' shares of
shipments settled, net of refunds settled, i.e. household_payable postings of kind settlement or refund.
The figures come from the same report functions, so the public page, the staff reports and `ledger check`
agree to the fen. Only counts and place names leave this module, never a household: a count under three is
replaced by "fewer than three" (None with a flag), so nobody can be singled out.

The figures are plain JSON-ready values (fen as integers, ISO dates), both languages side by side, so one
cached copy serves the page and /impact.json in either language."""
from datetime import date, timedelta

from sqlalchemy import func, select

from shop.catalog.models import Product, Variant
from shop.coops.models import Cooperative
from shop.extensions import db
from shop.households.models import Household
from shop.cache import cached
from shop.ledger.models import LedgerPosting as P
from shop.orders.models import OrderLine
from shop.places.models import County, Village
from shop.reports.income import INCOME_KINDS, IncomeFilter, build_income_report, income_by_month
from shop.types import SHOP_TZ, utcnow

SCHEMA_VERSION = 1
CACHE_KEY = f"shop:impact:v{SCHEMA_VERSION}"
MIN_SHOWN = 3  # a count of households below this is shown as "fewer than three"
MONTHS = 12
TOP_PRODUCTS = 10


def household_count(n: int, prefix: str = "households") -> dict:
    """A count of households as it may be published: {"households": n, "households_fewer_than_three": False},
    or None and True when n is under three."""
    few = n < MIN_SHOWN
    return {prefix: None if few else n, f"{prefix}_fewer_than_three": few}


def pooled(rows: list) -> tuple[list, list]:
    """Split report rows into those published on their own and those pooled into one "other" row, so that
    no group of one or two households is shown, nor can be worked out by subtracting the shown rows from
    their total: rows under three households are pooled, and while the pool holds one or two households
    the smallest shown rows join it. Returns (shown, pooled), each in the rows' order."""
    small = {id(r) for r in rows if r.households < MIN_SHOWN}
    bigger = sorted((r for r in rows if id(r) not in small), key=lambda r: (r.households, r.income_fen))
    while bigger and 0 < sum(r.households for r in rows if id(r) in small) < MIN_SHOWN:
        small.add(id(bigger.pop(0)))
    return [r for r in rows if id(r) not in small], [r for r in rows if id(r) in small]


def _public_places(counties: list, villages: list, county_of: dict) -> tuple[list, list]:
    """The counties with their household counts and the villages with their income, as published: small
    groups pooled (see pooled()). Villages carry no household count, so counts cannot be subtracted across
    the two levels; the villages of pooled counties are inside "Other counties" and not listed."""
    shown, rest = pooled(counties)
    county_rows = [{"name_zh": r.name_zh, "name_en": r.name_en, "income_fen": r.income_fen, "other": False,
                    **household_count(r.households)} for r in shown]
    if rest:
        county_rows.append({"name_zh": "其他县区", "name_en": "Other counties", "other": True,
                            "income_fen": sum(r.income_fen for r in rest),
                            **household_count(sum(r.households for r in rest))})
    village_rows = []
    for county in shown:
        mine = [v for v in villages if county_of[v.key] == county.key]
        listed, others = pooled(mine)
        place = {"county_zh": county.name_zh, "county_en": county.name_en}
        village_rows += [{"name_zh": v.name_zh, "name_en": v.name_en, **place, "income_fen": v.income_fen,
                          "other": False} for v in listed]
        if others:
            village_rows.append({"name_zh": "其他村", "name_en": "Other villages", **place, "other": True,
                                 "income_fen": sum(v.income_fen for v in others)})
    village_rows.sort(key=lambda v: -v["income_fen"])
    return county_rows, village_rows


def _month_list(today: date, count: int) -> list[str]:
    """The last `count` Shanghai months up to today's, oldest first (YYYY-MM)."""
    months, day = [], today.replace(day=1)
    for _ in range(count):
        months.append(f"{day:%Y-%m}")
        day = (day - timedelta(days=1)).replace(day=1)
    return months[::-1]


def _top_products(limit: int) -> list[dict]:
    """Products by the household income their sales delivered (settled shares less refunds), from the postings."""
    income = (-func.sum(P.amount_fen)).label("income")
    public = (Product.is_published.is_(True)) & (Cooperative.status == "approved")
    stmt = (select(Product.id, Product.slug, Product.name_zh, Product.name_en, Cooperative.name_zh,
                   Cooperative.name_en, func.max(public.cast(db.Integer)), income)
            .select_from(P).join(OrderLine, OrderLine.id == P.line_id).join(Variant, Variant.id == OrderLine.variant_id)
            .join(Product, Product.id == Variant.product_id).join(Cooperative, Cooperative.id == Product.coop_id)
            .where(P.account == "household_payable", P.kind.in_(INCOME_KINDS), P.household_id.is_not(None))
            .group_by(Product.id, Product.slug, Product.name_zh, Product.name_en, Cooperative.name_zh,
                      Cooperative.name_en)
            .order_by(income.desc(), Product.id).limit(limit))
    return [{"name_zh": zh, "name_en": en, "slug": slug if is_public else None, "coop_zh": coop_zh,
             "coop_en": coop_en, "income_fen": int(fen or 0)}
            for _id, slug, zh, en, coop_zh, coop_en, is_public, fen in db.session.execute(stmt) if fen]


def compute_impact(now=None) -> dict:
    """Compute every public figure from the ledger (6 queries): see docs/IMPACT_JSON.md for the shape."""
    now = now or utcnow()
    today = now.astimezone(SHOP_TZ).date()
    everything = IncomeFilter()
    counties = build_income_report(everything, "county")
    villages = build_income_report(everything, "village")
    poor = {row.key: row for row in build_income_report(everything, "poor").rows}
    months = income_by_month(everything)
    county_of = dict(db.session.execute(select(Village.id, Village.county_id)).all())
    county_rows, village_rows = _public_places(counties.rows, villages.rows, county_of)

    years: dict[int, list[int]] = {}
    for month, fen, poor_fen in months:
        year = years.setdefault(int(month[:4]), [0, 0])
        year[0] += fen
        year[1] += poor_fen
    by_month = {month: (fen, poor_fen) for month, fen, poor_fen in months}
    poor_row = poor.get("poor")
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": now.astimezone(SHOP_TZ).isoformat(timespec="seconds"),
        "currency": "CNY",
        "since": f"{months[0][0]}-01" if months else None,
        "total": {
            "income_fen": counties.total_fen,
            "registered_poor_income_fen": counties.poor_total_fen,
            **household_count(counties.households),
            **household_count(poor_row.households if poor_row else 0, "registered_poor_households"),
        },
        "years": [{"year": year, "income_fen": fen, "registered_poor_income_fen": poor_fen}
                  for year, (fen, poor_fen) in sorted(years.items())],
        "months": [{"month": month, "income_fen": by_month.get(month, (0, 0))[0],
                    "registered_poor_income_fen": by_month.get(month, (0, 0))[1]}
                   for month in _month_list(today, MONTHS)],
        "counties": county_rows,
        "villages": village_rows,
        "top_products": _top_products(TOP_PRODUCTS),
    }


def impact_figures() -> dict:
    """The public figures, cached for IMPACT_CACHE_SECONDS (Redis with REDIS_URL, else in this process)."""
    from flask import current_app

    return cached(CACHE_KEY, current_app.config.get("IMPACT_CACHE_SECONDS", 300), compute_impact)


# --- one cooperative's public figures ---------------------------------------------------------------

def coop_impact(coop_id: int, today: date | None = None) -> dict:
    """A cooperative's public figures (4 queries): the villages its member households live in, how many
    members and registered-poor members it has ("fewer than three" rule; a household that left, i.e. was
    anonymised, is no longer one), and the income delivered to its households to date and this year (the
    staff report's figure for the cooperative)."""
    today = today or utcnow().astimezone(SHOP_TZ).date()
    current = Household.anonymised_at.is_(None)  # an anonymised household is one that left (DOMAIN.md)
    members, poor = db.session.execute(
        select(func.count(Household.id), func.count(Household.id).filter(Household.poor_status == "confirmed"))
        .where(Household.coop_id == coop_id, current)).one()
    villages = db.session.execute(
        select(Village.name_zh, Village.name_en, County.name_zh, County.name_en)
        .join(County, County.id == Village.county_id)
        .where(Village.id.in_(select(Household.village_id).where(Household.coop_id == coop_id, current)
                              .union(select(Cooperative.village_id).where(Cooperative.id == coop_id))))
        .order_by(County.id, Village.id)).all()
    to_date = build_income_report(IncomeFilter(coop_id=coop_id), "coop")
    year = build_income_report(IncomeFilter(today.replace(month=1, day=1), today, coop_id=coop_id), "coop")
    return {
        "villages": [{"name_zh": v_zh, "name_en": v_en, "county_zh": c_zh, "county_en": c_en}
                     for v_zh, v_en, c_zh, c_en in villages],
        **household_count(int(members)),
        **household_count(int(poor), "registered_poor_households"),
        "income_fen": to_date.total_fen,
        "year": today.year,
        "year_income_fen": year.total_fen,
    }
