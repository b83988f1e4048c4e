"""A year of the demo shop's life, made by the shop's own services with the clock moved back.

`add_history` first plans the months from the seed's random generator: every order (when, who,
what) and what becomes of it (paid, left unpaid, or refunded whole, in part or by an amount). Then
it runs the plan in time order, each step inside `clock_at(moment)`, so the services date their
rows and ledger entries at that moment:

- early on the last day of each month, member households deliver lots that cover the next month;
- orders are placed, paid by the demo provider (or cancelled unpaid), shipped, confirmed by the
  buyer or delivered automatically, and settled once the refund window has passed;
- on the 3rd of each month staff run the payouts, the money arrives, and each cooperative hands the
  households their parts (the last payout's handovers are left partly open);
- a few orders are refunded, some of them after settlement and payout.

Nothing here writes a row itself: stock, orders and money go through the same services the pages
use, so the history obeys every rule the shop does and `ledger check` finds nothing.
"""
import bisect
import heapq
import itertools
import math
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from werkzeug.security import generate_password_hash

from shop.accounts.models import Address, User
from shop.cart.models import Cart, CartItem
from shop.catalog.services import stock_by_variant
from shop.checkout.services import new_checkout_token, place_order
from shop.coops.fulfilment import auto_deliver_shipments, ship_shipment
from shop.extensions import db
from shop.orders.models import Order
from shop.orders.services import cancel_order, confirm_receipt, expire_if_due
from shop.payments.refunds import request_refund, settle_refund
from shop.payments.services import mark_paid
from shop.payouts.models import Payout
from shop.payouts.services import build_statement, mark_payout_paid, record_handover, run_payouts
from shop.payouts.settlement import settle_due_shipments
from shop.seed_data import (ALNUM, BUYER_CITIES, BUYER_ESTATES, BUYER_GIVEN, BUYER_STREETS, BUYER_SURNAMES,
                            CARRIERS, CATEGORY_PEAKS, COOP_CARRIERS, FAMOUS_NAMES, MONTH_RATE, PROCESSING_DAYS,
                            SPRING_FESTIVALS)
from shop.supply.services import record_supply_lot
from shop.types import SHOP_TZ, clock_at, today_local, utcnow

HISTORY_MONTHS = 12
HISTORY_BUYERS = 300
ORDERS_PER_DAY = 2.0  # on an ordinary day of an ordinary month; seasons and growth scale it
# Local hours at which buyers order, midnight first: mostly at lunch and in the evening.
HOUR_WEIGHTS = (2, 1, 1, 0, 0, 0, 1, 2, 4, 5, 6, 6, 8, 7, 5, 5, 5, 6, 7, 9, 11, 12, 10, 5)
UNPAID = {"expired": 0.03, "cancelled": 0.025}  # share of orders never paid
# Refunds over twelve months, by what happens (fewer for a shorter history).
REFUNDS = {"before_ship": 5, "damaged": 4, "lines": 8, "amount": 8}
REFUND_REASONS = {
    "before_ship": "买家在发货前取消了订单 / the buyer cancelled before the parcel left",
    "damaged": "包裹到达时破损，整单退款 / the parcel arrived damaged: whole order refunded",
    "lines": "买家退回一件未开封的商品 / the buyer sent back one unopened item",
    "amount": "快递延误，退部分货款作补偿 / late delivery: part of the price refunded",
}
HANDOVER_NOTES = {"cash": "村委会现场发放 / handed over at the village committee",
                  "bank": "转入惠农一卡通 / paid into the household's benefits card"}


def expect(done: bool, what: str) -> None:
    """Stop the seed if a service refused a step the plan counted on: that is a bug, here or in the service."""
    if not done:
        raise RuntimeError(f"seed history: could not {what}")


def at_local(day: date, hour: int, minute: int = 0) -> datetime:
    """Return the aware UTC moment of a wall-clock time on a day in Longnan."""
    return datetime.combine(day, time(hour, minute), tzinfo=SHOP_TZ).astimezone(timezone.utc)


def local_day(moment: datetime) -> date:
    return moment.astimezone(SHOP_TZ).date()


def history_window(months: int, now: datetime) -> tuple[datetime, datetime]:
    """Return (start, end): from the 1st of the month `months - 1` before now's month, until two hours ago."""
    if not 1 <= months <= HISTORY_MONTHS:
        raise ValueError(f"history_months must be between 1 and {HISTORY_MONTHS}")
    here = now.astimezone(SHOP_TZ)
    year, month0 = divmod(here.year * 12 + here.month - 1 - (months - 1), 12)
    return at_local(date(year, month0 + 1, 1), 0), now - timedelta(hours=2)


def month_starts(start: datetime, end: datetime) -> list[date]:
    """Return the first day of every month from start's to end's."""
    day, last, firsts = local_day(start).replace(day=1), local_day(end), []
    while day <= last:
        firsts.append(day)
        day = (day + timedelta(days=32)).replace(day=1)
    return firsts


def days_to_spring_festival(day: date) -> int | None:
    """Days from `day` to a Spring Festival at most 30 days ahead or 7 days past, else None."""
    for sf in SPRING_FESTIVALS:
        days = (date(*sf) - day).days
        if -7 <= days <= 30:
            return days
    return None


def latest_harvest(rng, season, by: date) -> date:
    """Pick a day in the latest of the product's harvest windows that had begun by `by`."""
    windows = []
    for year in (by.year - 1, by.year):
        for month, first, last in season:
            lo, hi = date(year, month, first), min(date(year, month, last), by)
            if lo <= hi:
                windows.append((lo, hi))
    lo, hi = max(windows)
    return lo + timedelta(days=rng.randint(0, (hi - lo).days))


def split(rng, total: int, parts: int) -> list[int]:
    """Split total into parts positive integers that add up to it."""
    cuts = sorted(rng.sample(range(1, total), parts - 1))
    return [b - a for a, b in zip([0, *cuts], [*cuts, total])]


def poisson(rng, mean: float) -> int:
    """Draw from a Poisson distribution (Knuth's method; fine for small means)."""
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


# --- what can be bought --------------------------------------------------------------------

@dataclass(frozen=True)
class Item:
    """A variant on sale, with what the plan needs to know about it."""

    variant_id: int
    coop_id: int
    category: str
    season: tuple
    price_fen: int
    popularity: float
    gift: bool


def catalogue(products: list[tuple[dict, list]]) -> list[Item]:
    """Turn (product spec, its variants) into items; featured products and smaller sizes sell more."""
    items = []
    for spec, variants in products:
        for n, variant in enumerate(variants):
            popularity = (2.0 if spec.get("featured") else 1.0) * (1.0, 0.6, 0.35)[n] \
                * min(1.5, math.sqrt(5000 / variant.price_fen))
            items.append(Item(variant.id, variant.product.coop_id, spec["category"],
                              tuple(spec["season"]), variant.price_fen, popularity,
                              variant.sku.rsplit("-", 1)[1].endswith("B")))
    return items


def item_weight(item: Item, day: date) -> float:
    """How likely a buyer on `day` is to pick the item: category peaks, and gift boxes before Spring Festival."""
    months, peak = CATEGORY_PEAKS[item.category]
    weight = item.popularity * (peak if day.month in months else 1.0)
    to_sf = days_to_spring_festival(day)
    if item.gift and to_sf is not None and 6 <= to_sf <= 30:
        weight *= 3.0
    return weight


def day_rate(day: date, progress: float) -> float:
    """Expected orders on a day: the month's rate, a shop growing over the year, and festivals."""
    rate = ORDERS_PER_DAY * MONTH_RATE[day.month - 1] * (0.75 + 0.5 * progress)
    to_sf = days_to_spring_festival(day)
    if to_sf is not None:
        rate *= 2.0 if to_sf >= 6 else 0.35  # gifts before the festival; couriers and buyers rest around it
    if (day.month, day.day) in ((11, 10), (11, 11)):
        rate *= 2.0  # Singles' Day
    return rate


# --- the plan ------------------------------------------------------------------------------

@dataclass
class Plan:
    """One order to place: when, by which buyer, what, and what becomes of it."""

    at: datetime
    buyer: int
    items: list[tuple[int, int]]  # (variant id, quantity)
    fate: str = "paid"  # paid, expired, cancelled, or a key of REFUNDS


def basket(rng, items: list[Item], weights: list[float]) -> list[tuple[int, int]]:
    """Pick one to three different variants, often from the same cooperative, with quantities."""
    first = rng.choices(items, weights)[0]
    chosen = [first]
    for _ in range(rng.choices((0, 1, 2), (72, 23, 5))[0]):
        same_coop = rng.random() < 0.6
        pool = [(it, w) for it, w in zip(items, weights)
                if it not in chosen and (not same_coop or it.coop_id == first.coop_id)]
        if pool:
            chosen.append(rng.choices([it for it, _w in pool], [w for _it, w in pool])[0])
    return [(it.variant_id, 1 if it.price_fen >= 15000 else rng.choices((1, 2, 3), (78, 17, 5))[0])
            for it in chosen]


def plan_orders(rng, items: list[Item], start: datetime, end: datetime) -> list[Plan]:
    """Plan every order of the window, day by day, each by one of HISTORY_BUYERS (some buy far more often)."""
    buyer_weights = [1 / (n + 8) ** 0.9 for n in range(HISTORY_BUYERS)]
    rng.shuffle(buyer_weights)
    cumulative = list(itertools.accumulate(buyer_weights))
    first, last = local_day(start), local_day(end)
    plans = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        weights = [item_weight(it, day) for it in items]
        for _ in range(poisson(rng, day_rate(day, offset / max(1, (last - first).days)))):
            at = at_local(day, rng.choices(range(24), HOUR_WEIGHTS)[0], rng.randrange(60)) \
                + timedelta(seconds=rng.randrange(60))
            buyer = rng.choices(range(HISTORY_BUYERS), cum_weights=cumulative)[0]
            if start <= at <= end - timedelta(hours=1):
                plans.append(Plan(at, buyer, basket(rng, items, weights)))
    plans.sort(key=lambda p: p.at)
    return plans


def choose_fates(rng, plans: list[Plan], months: int, end: datetime) -> None:
    """Leave some orders unpaid, and mark a few paid ones (not too recent) for each kind of refund."""
    for plan in plans:
        roll = rng.random()
        if roll < UNPAID["expired"]:
            plan.fate = "expired"
        elif roll < UNPAID["expired"] + UNPAID["cancelled"]:
            plan.fate = "cancelled"
    settled_by_now = end - timedelta(days=50)
    for fate, per_year in REFUNDS.items():
        pool = [p for p in plans if p.fate == "paid" and p.at <= settled_by_now
                and (fate != "lines" or sum(q for _v, q in p.items) >= 2)]
        for plan in rng.sample(pool, min(len(pool), max(1, round(per_year * months / 12)))):
            plan.fate = fate


def demand_by_period(plans: list[Plan], boundaries: list[datetime]) -> list[dict[int, int]]:
    """Units each variant sells between one restocking and the next (boundaries[k] to boundaries[k + 1])."""
    demand = [defaultdict(int) for _ in boundaries]
    for plan in plans:
        period = bisect.bisect_right(boundaries, plan.at) - 1
        for variant_id, quantity in plan.items:
            demand[max(period, 0)][variant_id] += quantity
    return demand


# --- buyers --------------------------------------------------------------------------------

def buyer_name(rng, taken: set[str]) -> str:
    while True:
        name = rng.choice(BUYER_SURNAMES) + rng.choice(BUYER_GIVEN)
        if name not in taken and name not in FAMOUS_NAMES:
            taken.add(name)
            return name


def buyer_address(rng, name: str, mobile: str, joined: datetime) -> Address:
    province, city, districts = rng.choice(BUYER_CITIES)
    street = (f"{rng.choice(BUYER_STREETS)}{rng.randint(1, 399)}号{rng.choice(BUYER_ESTATES)}"
              f"{rng.randint(1, 30)}号楼{rng.randint(1, 6)}单元{rng.randint(1, 32)}{rng.randint(1, 4):02d}室")
    return Address(recipient=name, mobile=mobile, province=province, city=city, district=rng.choice(districts),
                   street=street, created_at=joined)


def add_buyers(rng, plans: list[Plan], start: datetime, end: datetime) -> list[User]:
    """Add the history's buyers (buyer0001@demo.longnan.example, ...), each joining before their first order.

    They share one password hash of a random secret nobody keeps: they are never meant to sign in."""
    first_order = {}
    for plan in plans:
        first_order.setdefault(plan.buyer, plan.at)
    unusable = generate_password_hash(secrets.token_urlsafe(24), method="scrypt")
    taken: set[str] = set()
    buyers = []
    for n in range(HISTORY_BUYERS):
        joined = first_order.get(n, start + (end - start) * rng.random()) \
            - timedelta(minutes=rng.randint(5, 30 * 24 * 60))
        name = buyer_name(rng, taken)
        mobile = rng.choice(("135", "136", "138", "150", "152", "186", "188", "189")) + f"{rng.randrange(10**8):08d}"
        buyer = User(email=f"buyer{n + 1:04d}@demo.longnan.example", password_hash=unusable, display_name=name,
                     locale="en" if rng.random() < 0.08 else "zh", created_at=joined,
                     addresses=[buyer_address(rng, name, mobile, joined)])
        db.session.add(buyer)
        buyers.append(buyer)
    db.session.flush()
    return buyers


# --- running the plan ----------------------------------------------------------------------

class History:
    """The plan being played: a queue of steps, each run at its moment with the clock held there."""

    def __init__(self, rng, end: datetime, coops: dict, households: dict, users: dict, items: list[Item]):
        self.rng, self.end = rng, end
        self.queue: list = []
        self.seq = itertools.count()
        self.items = items
        self.coops = {coop.id: coop for coop in coops.values()}
        self.coop_keys = {coop.id: key for key, coop in coops.items()}
        self.households = {coops[key].id: members for key, members in households.items()}
        self.staff_id = users["staff"].id
        self.managers = {users["coop manager"].coop_id: users["coop manager"].id}
        self.carts: dict[int, Cart] = {}
        self.last_paid_run: datetime | None = None

    def at(self, when: datetime, step, *args) -> None:
        """Queue a step; steps due after the end of the history never happen (they are the future)."""
        if when <= self.end:
            heapq.heappush(self.queue, (when, next(self.seq), step, args))

    def run(self) -> None:
        while self.queue:
            when, _seq, step, args = heapq.heappop(self.queue)
            with clock_at(when):
                step(*args)

    # --- stock

    def restock(self, need_now: dict[int, int], need_next: dict[int, int]) -> None:
        """Record a lot for every variant whose free units would not last until the next restocking."""
        free = stock_by_variant([it.variant_id for it in self.items])
        now = utcnow()
        lots = 0
        for item in self.items:
            want = need_now.get(item.variant_id, 0)
            if free.get(item.variant_id, 0) >= want + 8:
                continue
            units = want + need_next.get(item.variant_id, 0) + self.rng.randint(8, 20) - free.get(item.variant_id, 0)
            with clock_at(now + timedelta(minutes=lots)):
                self.record_lot(item, max(10, -(-units // 5) * 5))
            lots += 1

    def record_lot(self, item: Item, units: int) -> None:
        """Record a lot of the latest harvest ready by now, delivered by two to five member households."""
        coop = self.coops[item.coop_id]
        lo, _hi = PROCESSING_DAYS[item.category]
        harvested = latest_harvest(self.rng, item.season, today_local() - timedelta(days=lo))
        givers = self.rng.sample(self.households[coop.id], self.rng.randint(2, min(5, len(self.households[coop.id]))))
        own_stock = [None] if self.rng.random() < 0.2 else []
        shares = list(zip([hh.id for hh in givers] + own_stock, split(self.rng, units, len(givers) + len(own_stock))))
        record_supply_lot(coop, item.variant_id, units, harvested, shares, self.managers.get(coop.id))

    # --- orders

    def place(self, plan: Plan, buyer: User) -> None:
        """Place the planned order from the buyer's cart, then pay it or leave it unpaid."""
        cart = self.carts.get(buyer.id)
        if cart is None:
            cart = self.carts[buyer.id] = Cart(user_id=buyer.id)
            db.session.add(cart)
        cart.items.extend(CartItem(variant_id=v, quantity=q) for v, q in plan.items)
        order = place_order(buyer, cart, buyer.addresses[0], new_checkout_token(), buyer.locale or "zh")
        now = utcnow()
        if plan.fate == "expired":
            self.at(order.expires_at + timedelta(minutes=self.rng.randint(1, 5)), self.expire, order)
        elif plan.fate == "cancelled":
            self.at(now + timedelta(minutes=self.rng.randint(2, 25)), self.cancel, order)
        else:
            self.at(now + timedelta(minutes=self.rng.randint(1, 15), seconds=self.rng.randrange(60)),
                    self.pay, order, plan.fate)

    def expire(self, order: Order) -> None:
        expect(expire_if_due(order, utcnow()), f"expire order {order.number}")

    def cancel(self, order: Order) -> None:
        expect(cancel_order(order, "buyer"), f"cancel order {order.number}")

    def pay(self, order: Order, fate: str) -> None:
        """The demo provider reports the payment; each cooperative ships its part a few days later."""
        expect(mark_paid(order, "demo", f"demo_{order.number}", order.total_fen, order.currency),
               f"pay order {order.number}")
        paid = utcnow()
        if fate == "before_ship":
            self.at(paid + timedelta(minutes=self.rng.randint(40, 150)), self.refund, order, fate)
        for n, shipment in enumerate(order.shipments):
            self.at(self.ship_time(paid), self.ship, order, shipment, fate if n == 0 else "paid")

    def ship_time(self, paid: datetime) -> datetime:
        """Working hours one to three days after payment; couriers rest around Spring Festival."""
        day = local_day(paid) + timedelta(days=self.rng.choice((0, 1, 1, 1, 2, 2, 3)))
        to_sf = days_to_spring_festival(day)
        if to_sf is not None and -6 <= to_sf <= 3:
            day += timedelta(days=to_sf + 7)
        return max(at_local(day, self.rng.randint(9, 17), self.rng.randrange(60)), paid + timedelta(hours=3))

    def ship(self, order: Order, shipment, fate: str) -> None:
        """Hand the parcel to a carrier; most buyers confirm receipt, the rest are delivered automatically."""
        carriers = COOP_CARRIERS[self.coop_keys[shipment.coop_id]]
        carrier = self.rng.choices(carriers, (6, 3, 1)[:len(carriers)])[0]
        prefix, digits = CARRIERS[carrier]
        if not ship_shipment(shipment, carrier, prefix + f"{self.rng.randrange(10**digits):0{digits}d}"):
            db.session.refresh(order)
            expect(order.status == "refunded", f"ship order {order.number}")
            return  # refunded before it left
        shipped = utcnow()
        if fate == "damaged" or self.rng.random() < 0.65:
            self.at(shipped + timedelta(days=self.rng.randint(2, 5), hours=self.rng.randint(0, 12)),
                    self.confirm, order, shipment.id)
        delay = {"damaged": (4, 26), "lines": (12, 45), "amount": (3, 30)}.get(fate)
        if delay:
            self.at(shipped + timedelta(days=self.rng.randint(*delay), hours=self.rng.randint(0, 8)),
                    self.refund, order, fate)

    def confirm(self, order: Order, shipment_id: int) -> None:
        expect(confirm_receipt(order, shipment_id), f"confirm receipt of order {order.number}")

    def sweep(self) -> None:
        """The nightly jobs: deliver parcels nobody confirmed, settle shipments past the refund window."""
        auto_deliver_shipments()
        settle_due_shipments()

    # --- refunds

    def refund(self, order: Order, fate: str) -> None:
        """Staff refund the order (whole, one returned unit with restock, or an amount); the demo provider
        pays it back a little later."""
        kwargs = {"mode": "whole", "restock": fate == "before_ship"}
        if fate == "lines":
            line = max(order.lines, key=lambda ln: (ln.quantity, -ln.id))
            kwargs = {"mode": "lines", "quantities": {line.id: 1}, "restock": True}
        elif fate == "amount":
            kwargs = {"mode": "amount", "amount_fen": min(self.rng.choice((500, 800, 1000, 1500, 2000)),
                                                          order.subtotal_fen // 2)}
        refund = request_refund(order, key=f"seed-{order.number}-{fate}", staff_id=self.staff_id,
                                reason=REFUND_REASONS[fate], **kwargs)
        self.at(utcnow() + timedelta(minutes=self.rng.randint(3, 90)), self.refund_paid, refund.id)

    def refund_paid(self, refund_id: int) -> None:
        # What send_refund does for the demo provider, without its commit: seed_demo leaves that to its caller.
        expect(settle_refund(refund_id, f"demo_refund_{refund_id}"), f"settle refund {refund_id}")

    # --- payouts

    def payout_run(self) -> None:
        """Staff run the month's payouts; Stripe transfers land at once, bank transfers the next day."""
        run = run_payouts(self.staff_id)
        now = utcnow()
        for n, payout in enumerate(run.payouts if run else ()):
            when = now + timedelta(minutes=3 + n) if payout.method == "stripe" else \
                at_local(local_day(now) + timedelta(days=1), 10) + timedelta(minutes=5 * n)
            self.at(when, self.payout_paid, payout, self.last_paid_run is not None and now >= self.last_paid_run)

    def payout_paid(self, payout: Payout, last_run: bool) -> None:
        """Record the transfer's reference, then the cooperative hands each household its part."""
        now = utcnow()
        reference = "tr_" + "".join(self.rng.choice(ALNUM) for _ in range(24)) if payout.method == "stripe" \
            else f"{local_day(now):%Y%m%d}{self.rng.randrange(10**10):010d}"
        expect(mark_payout_paid(payout.id, reference), f"mark payout {payout.id} paid")
        meeting = local_day(now) + timedelta(days=self.rng.randint(2, 8))
        for n, row in enumerate(r for r in build_statement(payout).households if r.amount_fen > 0):
            if last_run and self.rng.random() < 0.5:
                continue  # still waiting: staff see it on the handover list
            method = "bank" if self.rng.random() < 0.4 else "cash"
            day = meeting if method == "cash" else local_day(now) + timedelta(days=self.rng.randint(1, 3))
            when = at_local(day, 14 if method == "cash" else 10) + timedelta(minutes=n)
            self.at(when, self.handover, payout, row.household_id, method)

    def handover(self, payout: Payout, household_id: int, method: str) -> None:
        user_id = self.managers.get(payout.coop_id, self.staff_id)
        record_handover(payout, household_id, today_local(), method, user_id, HANDOVER_NOTES[method])


def add_history(rng, window: tuple[datetime, datetime], coops: dict, households: dict, users: dict,
                products: list[tuple[dict, list]]) -> None:
    """Plan and play the shop's life over the window (see history_window); flush, never commit."""
    start, end = window
    items = catalogue(products)
    plans = plan_orders(rng, items, start, end)
    choose_fates(rng, plans, len(month_starts(start, end)), end)
    buyers = add_buyers(rng, plans, start, end)
    history = History(rng, end, coops, households, users, items)
    schedule(history, plans, buyers, start, end)
    history.run()
    db.session.flush()


def schedule(history: History, plans: list[Plan], buyers: list[User], start: datetime, end: datetime) -> None:
    """Queue the restockings, the orders, the nightly jobs and the monthly payout runs."""
    restockings = [at_local(first - timedelta(days=1), 7) for first in month_starts(start, end)]
    demand = demand_by_period(plans, restockings)
    for k, when in enumerate(restockings):
        history.at(when, history.restock, demand[k], demand[k + 1] if k + 1 < len(demand) else {})
    for plan in plans:
        history.at(plan.at, history.place, plan, buyers[plan.buyer])
    for offset in range((local_day(end) - local_day(start)).days + 1):
        history.at(at_local(local_day(start) + timedelta(days=offset), 2), history.sweep)
    runs = [at_local(first.replace(day=3), 10) for first in month_starts(start, end)]
    paid_runs = [run for run in runs if run + timedelta(days=1, hours=3) <= end]
    history.last_paid_run = paid_runs[-1] if paid_runs else None
    for run in runs:
        history.at(run, history.payout_run)
