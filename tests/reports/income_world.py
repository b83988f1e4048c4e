"""A small world for the household income report tests (no tests here), built through the real services,
and an oracle that sums the ledger's postings in Python.

Three cooperatives in two counties (one county with two villages; one household lives in another village
than its cooperative), registered-poor and other households, products in two categories, lots with mixed
household shares (and the cooperative's own stock), paid orders shipped, delivered and settled at chosen
moments (some right at a Shanghai midnight), refunds after settlement, a refund before settlement, a
shipment never settled, an order never shipped, and a payout. Settlements and refunds happen with the
shop's clock held at the chosen moment (shop.types.clock_at), so their postings carry that posted_at."""
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from shop.cart.models import MAX_QUANTITY
from shop.catalog.models import Product, Variant
from shop.checkout.services import new_checkout_token, place_order
from shop.coops.fulfilment import ship_shipment
from shop.coops.models import Cooperative
from shop.extensions import db
from shop.households.models import Household
from shop.ledger.models import LedgerPosting
from shop.orders.models import Order, OrderLine
from shop.orders.services import confirm_receipt
from shop.payments.refunds import request_refund, settle_refund
from shop.payments.services import mark_paid
from shop.payouts.services import run_payouts
from shop.payouts.settlement import settle_shipment
from shop.places.models import Village
from shop.supply.services import record_supply_lot
from shop.types import SHOP_TZ, clock_at
from tests.factories import make_address, make_cart, make_category, make_coop, make_household, make_product, \
    make_village, n, quick_user

HARVEST = date(2025, 10, 1)
FIRST_DAY, LAST_DAY = date(2025, 12, 20), date(2026, 6, 15)  # every chosen moment falls between these


def shanghai(*args) -> datetime:
    """A moment given in Shanghai wall-clock time."""
    return datetime(*args, tzinfo=SHOP_TZ)


class IncomeWorld:
    """The world described in the module docstring; ids are kept so that tests can filter by them."""

    def __init__(self):
        a1, b1 = make_village("成县"), make_village("武都区")
        b2 = Village(county=b1.county, name_zh=f"高山村{n()}", name_en=f"Gaoshan {n()}", altitude_m=2100)
        db.session.add(b2)
        db.session.flush()
        self.villages, self.counties = [a1, b1, b2], [a1.county, b1.county]
        bank = {"bank_name": "成县农商银行", "bank_account_name": "合作社", "bank_account_no": "6228480000000000001"}
        c1 = make_coop(village=a1, commission_bp=500, retention_bp=1000, **bank)
        c2 = make_coop(village=b1, commission_bp=800, retention_bp=500)
        c3 = make_coop(village=b2, commission_bp=0, retention_bp=2500)
        self.coops = [c1, c2, c3]
        self.staff = quick_user(is_staff=True)
        self.managers = [quick_user(coop_id=c.id) for c in self.coops]
        h1, h2, h3 = make_household(c1, poor=True), make_household(c1), make_household(c1)
        h4, h5, h6 = make_household(c2, poor=True), make_household(c2, poor=True), make_household(c2)
        h6.village_id = b2.id  # lives in another village than its cooperative
        h7, h8, h9 = make_household(c3), make_household(c3, poor=True), make_household(c3, poor=True)  # h9: no sales
        self.households = [h1, h2, h3, h4, h5, h6, h7, h8, h9]
        walnuts, pepper = make_category(), make_category()
        self.categories = [walnuts, pepper]
        p1 = make_product(coop=c1, units=0, price_fen=268_000, category=walnuts, name_zh="成县薄皮核桃礼盒")
        p2 = make_product(coop=c1, units=0, price_fen=4_500, category=pepper, name_zh="大红袍花椒")
        p3 = make_product(coop=c2, units=0, price_fen=3_900, category=pepper, name_zh="武都花椒")
        p4 = make_product(coop=c3, units=0, price_fen=5_600, category=walnuts, name_zh="高山核桃")
        v1, v2, v3, v4 = (p.variants[0] for p in (p1, p2, p3, p4))
        self.variants = [v1, v2, v3, v4]

        def lot(coop, variant, shares):
            manager = self.managers[self.coops.index(coop)]
            record_supply_lot(coop, variant.id, sum(u for _, u in shares), HARVEST,
                              [(hh.id if hh else None, u) for hh, u in shares], manager.id)

        lot(c1, v1, [(h1, 3), (h2, 2), (None, 1)])      # the first 6 walnut boxes …
        lot(c1, v1, [(h1, 5), (h3, 7), (None, 3)])      # … then these (a line can span both lots)
        lot(c1, v2, [(h2, 7), (h3, 3), (h1, 2)])
        lot(c2, v3, [(h4, 10), (h5, 6), (h6, 4)])
        lot(c3, v4, [(h7, 4), (h8, 5), (None, 1)])
        db.session.flush()

        # sale(items, {index of the shipment's cooperative: when it settles})
        s1 = self.sale([(v1, 2)], {0: shanghai(2026, 1, 15, 10, 0)})
        self.sale([(v1, 5), (v3, 2)], {0: shanghai(2026, 1, 31, 23, 30), 1: shanghai(2026, 2, 1, 0, 10)})
        s3 = self.sale([(v2, 4)], {0: shanghai(2026, 2, 20, 9, 0)})
        self.refund(s3, shanghai(2026, 3, 5, 11, 0), mode="amount", amount_fen=1_000)
        s4 = self.sale([(v3, 3)], {1: shanghai(2026, 3, 10, 8, 0)})
        self.refund(s4, shanghai(2026, 3, 10, 20, 0), mode="lines",
                    quantities={s4.lines[0].id: 1})
        s5 = self.sale([(v4, 2), (v2, 1)], {2: shanghai(2026, 4, 1, 0, 0), 0: shanghai(2026, 3, 31, 23, 59, 59)})
        self.refund(s5, shanghai(2026, 5, 2, 7, 0), mode="whole")
        # A refund before settlement is never income (it comes off household_pending).
        s6 = self.sale([(v4, 3)], {})
        refund = request_refund(s6, mode="amount", key=f"r-{n()}", staff_id=self.staff.id, amount_fen=700)
        assert settle_refund(refund.id)
        self.settle(s6, {2: shanghai(2026, 4, 15, 12, 0)})
        self.sale([(v3, 1)], {})                        # delivered, never settled
        order = self.place([(v1, 1)])                   # paid, never shipped
        assert order.status == "paid"
        s9 = self.sale([(v1, 3), (v2, 2)], {0: shanghai(2026, 6, 1, 0, 0, 1)})
        # Payouts debit household_payable too (kind "payout"): they are not income. A refund after a
        # payout is (it leaves the payable balance negative until the next payout).
        assert run_payouts(self.staff.id) is not None
        assert db.session.scalar(select(LedgerPosting.id).where(LedgerPosting.account == "household_payable",
                                                                LedgerPosting.kind == "payout").limit(1))
        self.refund(s9, shanghai(2026, 6, 10, 9, 0), mode="lines", quantities={s9.lines[1].id: 1})
        self.sale([(v4, 1), (v3, 2)], {2: shanghai(2025, 12, 31, 23, 59), 1: shanghai(2026, 5, 31, 16, 0)})
        self.first_sale = s1
        db.session.flush()

    def place(self, items) -> Order:
        buyer = quick_user()
        order = place_order(buyer, make_cart(buyer, *items), make_address(buyer), new_checkout_token(), "zh")
        assert mark_paid(order, "demo", f"demo_{order.number}", order.total_fen, order.currency)
        db.session.flush()
        return order

    def sale(self, items, settle_at: dict[int, datetime]) -> Order:
        """Place and pay an order, ship and deliver every shipment, and settle those in settle_at."""
        order = self.place(items)
        for shipment in order.shipments:
            assert ship_shipment(shipment, "EMS", f"EMS{n():08d}")
            assert confirm_receipt(order, shipment.id)
        self.settle(order, settle_at)
        return order

    def settle(self, order: Order, settle_at: dict[int, datetime]) -> None:
        coop_index = {c.id: i for i, c in enumerate(self.coops)}
        for shipment in order.shipments:
            when = settle_at.get(coop_index[shipment.coop_id])
            if when is not None:
                with clock_at(when):
                    assert settle_shipment(shipment.id)

    def refund(self, order: Order, when: datetime, **kw) -> None:
        with clock_at(when):
            refund = request_refund(order, key=f"r-{n()}", staff_id=self.staff.id, **kw)
            assert settle_refund(refund.id)


def add_households(coop_id: int, count: int, first_id: int | None = None, settle_on: date = date(2026, 2, 14)) \
        -> list[int]:
    """Give a cooperative `count` more households, each with a share of one sale settled at noon on settle_on
    (for query budgets). With first_id, the households get ids from first_id on (long ids, for the access log)."""
    coop = db.session.get(Cooperative, coop_id)
    households = [make_household(coop, poor=i % 2 == 0) for i in range(count)] if first_id is None else \
        _households_with_ids(coop, range(first_id, first_id + count))
    variant = make_product(coop=coop, units=0, price_fen=2_000).variants[0]
    record_supply_lot(coop, variant.id, 2 * count, HARVEST, [(hh.id, 2) for hh in households], None)
    buyer = quick_user()
    units = min(2 * count, MAX_QUANTITY)  # from a lot shared by every household: each gets a part
    order = place_order(buyer, make_cart(buyer, (variant, units)), make_address(buyer), new_checkout_token(), "zh")
    assert mark_paid(order, "demo", f"demo_{order.number}", order.total_fen, order.currency)
    shipment = order.shipments[0]
    assert ship_shipment(shipment, "EMS", f"EMS{n():08d}") and confirm_receipt(order, shipment.id)
    with clock_at(shanghai(settle_on.year, settle_on.month, settle_on.day, 12, 0)):
        assert settle_shipment(shipment.id)
    return [hh.id for hh in households]


def _households_with_ids(coop: Cooperative, ids) -> list[Household]:
    households = [Household(id=i, coop=coop, joined_on=date(2020, 1, 1), head_name=f"户主{i}",
                            village_id=coop.village_id, members_count=3, poor_status="confirmed" if i % 2 else "none",
                            poor_since_year=2016 if i % 2 else None, registry_code=f"LN{i:012d}") for i in ids]
    db.session.add_all(households)
    db.session.flush()
    return households


# ---- the oracle: the same figures, summed in Python from plain rows -------------------------------------

@dataclass(frozen=True)
class Where:
    village: int
    county: int
    coop: int
    poor: bool


def ledger_facts():
    """Every household_payable posting of a settlement or refund, and where each household and line belongs."""
    postings = db.session.execute(
        select(LedgerPosting.household_id, LedgerPosting.line_id, LedgerPosting.posted_at,
               LedgerPosting.amount_fen, LedgerPosting.kind)
        .where(LedgerPosting.account == "household_payable", LedgerPosting.kind.in_(("settlement", "refund")))).all()
    where = {hh: Where(village, county, coop, status == "confirmed") for hh, village, county, coop, status in
             db.session.execute(select(Household.id, Household.village_id, Village.county_id, Household.coop_id,
                                       Household.poor_status).join(Village, Village.id == Household.village_id))}
    category = dict(db.session.execute(select(OrderLine.id, Product.category_id)
                                       .join(Variant, Variant.id == OrderLine.variant_id)
                                       .join(Product, Product.id == Variant.product_id)).all())
    return postings, where, category


def expected(facts, filters, group: str):
    """Return ({group key: (income, poor income, households, shares settled)}, total, poor total, households)."""
    postings, where, category = facts
    rows = defaultdict(lambda: [0, 0, set(), 0])
    total = poor_total = 0
    everyone = set()
    for hh, line_id, posted_at, amount, kind in postings:
        day = posted_at.astimezone(SHOP_TZ).date()
        w = where[hh]
        if filters.start and day < filters.start or filters.end and day > filters.end:
            continue
        if any(value is not None and value != actual for value, actual in (
                (filters.county_id, w.county), (filters.village_id, w.village), (filters.coop_id, w.coop),
                (filters.category_id, category[line_id]), (filters.poor, w.poor))):
            continue
        key = {"household": hh, "village": w.village, "county": w.county, "coop": w.coop,
               "category": category[line_id], "poor": "poor" if w.poor else "other"}[group]
        row = rows[key]
        row[0] -= amount
        row[1] -= amount if w.poor else 0
        row[2].add(hh)
        row[3] += kind == "settlement"
        total -= amount
        poor_total -= amount if w.poor else 0
        everyone.add(hh)
    return ({k: (fen, poor, len(hhs), shares) for k, (fen, poor, hhs, shares) in rows.items()},
            total, poor_total, len(everyone))
