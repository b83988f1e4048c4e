"""The ledger under any sequence of shop events: orders across cooperatives (households sharing lots with
the cooperative's own stock), payments, cancellations, refunds in every mode (settled at once, later, or
failed), restocks, shipping and deliveries, settlement as time passes, and payout runs (repeated, failed,
retried, cancelled, handed on). After every step the books must pass `ledger check` and the invariants of
docs/DOMAIN.md, computed here from the orders, refunds and payouts, and from what the services reported."""
from collections import Counter, defaultdict
from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, \
    run_state_machine_as_test
from sqlalchemy import func, select

from shop.catalog.models import Variant
from shop.checkout.services import CheckoutError, new_checkout_token, place_order
from shop.coops.fulfilment import auto_deliver_shipments, ship_shipment
from shop.extensions import db
from shop.ledger.check import check_ledger
from shop.ledger.models import PAYABLE, LedgerPosting
from shop.orders.models import Order, OrderLine, Shipment
from shop.orders.services import cancel_order, confirm_receipt
from shop.payments.models import Refund, RefundLine, RefundShipping
from shop.payments.refunds import RefundError, fail_refund, refund_summary, request_refund, send_refund, \
    settle_refund
from shop.payments.services import mark_paid
from shop.payouts.models import Payout
from shop.payouts.services import (build_statement, cancel_payout, mark_payout_failed, mark_payout_paid,
                                   record_handover, retry_payout, run_payouts)
from shop.payouts.settlement import settle_due_shipments
from shop.supply.models import SupplyLot
from shop.supply.services import record_supply_lot
from shop.types import today_local, utcnow
from tests.factories import make_address, make_cart, make_coop, make_household, make_product
from tests.ledger.ledger_world import FAMILY, quick_user

COOP = st.fixed_dictionaries({
    "commission_bp": st.sampled_from([0, 500, 1234, 3333, 10_000]),
    "retention_bp": st.sampled_from([0, 1000, 2501, 10_000]),
    "shipping_fee_fen": st.sampled_from([0, 1, 800, 1000]),
    "free_shipping_over_fen": st.sampled_from([None, None, 3000]),
    "households": st.integers(1, 3),
    "stripe": st.booleans(),  # paid by Stripe Connect transfers, so a debt after refunds is reversed
    # per variant: its price, and per lot the units of up to three households and of the coop's own stock
    "variants": st.lists(st.tuples(st.sampled_from([1, 3, 99, 100, 6800, 12_345]),
                                   st.lists(st.lists(st.integers(0, 7), min_size=4, max_size=4)
                                            .map(lambda units: units if sum(units) else [0, 0, 0, 1]),
                                            min_size=1, max_size=2)),
                         min_size=1, max_size=2),
})
ITEMS = st.lists(st.tuples(st.integers(0, 5), st.integers(1, 4)), min_size=1, max_size=3)
MINIMUMS = st.sampled_from([1, 1, 500, 5_000])
PICK = st.integers(0, 50)

# What a rule acts on, oldest first.
PENDING_ORDERS = select(Order.id).where(Order.status == "pending_payment").order_by(Order.id)
REFUNDABLE_ORDERS = select(Order.id).where(Order.status.in_(("paid", "completed", "partially_refunded"))) \
    .order_by(Order.id)
TO_SHIP = select(Shipment.id).join(Order).where(Shipment.status == "awaiting_fulfilment",
                                                Order.status.in_(("paid", "partially_refunded"))).order_by(Shipment.id)
SHIPPED = select(Shipment.id).where(Shipment.status == "shipped").order_by(Shipment.id)
PENDING_REFUNDS = select(Refund.id).where(Refund.status == "pending").order_by(Refund.id)
PENDING_PAYOUTS = select(Payout.id).where(Payout.status == "pending").order_by(Payout.id)
FAILED_PAYOUTS = select(Payout.id).where(Payout.status == "failed").order_by(Payout.id)
PAID_PAYOUTS = select(Payout.id).where(Payout.status == "paid").order_by(Payout.id)


class Books:
    """The figures the invariants compare: from the ledger, and from the orders, refunds and payouts."""

    def __init__(self):
        self.parts: dict[tuple, int] = defaultdict(int)  # (line, "F"|"K"|"H", household) -> fen left
        self.cash = 0
        self.payable: dict[int, int] = defaultdict(int)  # coop -> fen owed (payable accounts)
        self.transit: dict[int, int] = defaultdict(int)  # coop -> fen in payout_transit
        self.shipping_left: dict[int, int] = defaultdict(int)  # shipment -> fen of its fee left (ledger)
        self.line_due: dict[int, int] = {}  # paid line -> gross less succeeded refunds
        self.shipping_due: dict[int, int] = {}  # paid shipment -> fee less succeeded refunds
        self.owed: dict[int, int] = {}  # coop -> settled lines less commission, plus fees, less payouts
        self.in_transit: dict[int, int] = defaultdict(int)  # coop -> payouts pending or failed


def _pick(stmt, i: int) -> int:
    ids = db.session.scalars(stmt).all()
    return ids[i % len(ids)]


def _can(what: str):
    """A precondition: the shop holds something for the rule to act on (read once per step)."""
    return lambda machine: machine.can(what)


def _empty_tables() -> None:
    """What tests/conftest.py does after each test, here after each example (DELETE: on PostgreSQL a
    TRUNCATE of every table costs a third of a second)."""
    db.session.remove()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


def test_the_books_stay_right_whatever_happens(app, monkeypatch):
    monkeypatch.setitem(app.config, "PAYOUT_MINIMUM_FEN", 1)
    window = timedelta(days=app.config["REFUND_WINDOW_DAYS"])

    class LedgerMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.context = app.app_context()
            self.context.push()
            app.config["PAYOUT_MINIMUM_FEN"] = 1  # payout_run changes it: every example starts the same
            self.clock = utcnow()
            self.variants: list[int] = []
            self.coops: list[int] = []
            self.managers: dict[int, int] = {}  # coop id -> its manager's user id
            self.keys = 0
            self.seen: Counter | None = None
            # The model: money in, money back and money paid out, as the services reported it.
            self.paid_in = self.refunded = self.paid_out = 0

        def teardown(self):
            try:
                db.session.rollback()
                _empty_tables()
            finally:
                self.context.pop()

        def can(self, what: str) -> bool:
            if self.seen is None:
                self.read_books()
            return self.seen[what] > 0

        # -- the world -------------------------------------------------------------------------

        @initialize(coops=st.lists(COOP, min_size=2, max_size=3), orders=st.lists(ITEMS, min_size=1, max_size=3),
                    start=st.sampled_from(["paid", "delivered", "settled", "paid out"]))
        def build(self, coops, orders, start):
            self.staff = quick_user(is_staff=True)
            for spec in coops:
                coop = make_coop(commission_bp=spec["commission_bp"], retention_bp=spec["retention_bp"],
                                 shipping_fee_fen=spec["shipping_fee_fen"],
                                 free_shipping_over_fen=spec["free_shipping_over_fen"],
                                 payout_method="stripe" if spec["stripe"] else "bank",
                                 stripe_account_id="acct_machine" if spec["stripe"] else "")
                self.coops.append(coop.id)
                manager = quick_user(coop_id=coop.id)
                self.managers[coop.id] = manager.id
                households = [make_household(coop) for _ in range(spec["households"])]
                for price, lots in spec["variants"]:
                    variant = make_product(coop=coop, units=0, price_fen=price).variants[0]
                    for age, units in enumerate(lots):
                        # The oldest lot is small, so that lines often take units from two lots.
                        units = [n * (1 if age == 0 and len(lots) > 1 else 6) for n in units]
                        shares = [(hh.id, n) for hh, n in zip(households, units[:3]) if n] + \
                            ([(None, units[3])] if units[3] else [])
                        shares = shares or [(None, 6)]
                        lot = record_supply_lot(coop, variant.id, sum(n for _hh, n in shares),
                                                today_local() - timedelta(days=30), shares, manager.id)
                        lot.received_at = utcnow() - timedelta(days=10 - age)
                    self.variants.append(variant.id)
                    db.session.flush()
            db.session.commit()
            for items in orders:  # a few paid orders to begin with, delivered or not
                self.place(items, pay=True)
            if start != "paid":
                self.fulfil_everything()
            if start in ("settled", "paid out"):
                self.clock += window + timedelta(days=1)
                assert settle_due_shipments(self.clock) == db.session.scalar(select(func.count(Shipment.id)))
            run = run_payouts(self.staff.id) if start == "paid out" else None
            if run is not None:
                for payout in run.payouts:
                    assert mark_payout_paid(payout.id, f"BANK-{payout.id}")
                    self.paid_out += payout.signed_fen
            db.session.commit()

        def _key(self) -> str:
            self.keys += 1
            return f"machine-{self.keys}"

        def _refund_succeeded(self, refund_id: int) -> None:
            self.refunded += db.session.get(Refund, refund_id, populate_existing=True).amount_fen

        # -- orders and payments ---------------------------------------------------------------

        @rule(items=ITEMS, pay=st.sampled_from([True, True, False]))
        def place(self, items, pay):
            quantities: dict[int, int] = {}
            for i, qty in items:
                variant_id = self.variants[i % len(self.variants)]
                quantities[variant_id] = quantities.get(variant_id, 0) + qty
            buyer = quick_user()
            cart = make_cart(buyer, *[(db.session.get(Variant, v), q) for v, q in sorted(quantities.items())])
            address = make_address(buyer)
            savepoint = db.session.begin_nested()
            try:
                order = place_order(buyer, cart, address, new_checkout_token(), "zh")
            except CheckoutError:  # more than is left: refused, nothing changed
                savepoint.rollback()
                db.session.commit()
                return
            savepoint.commit()
            if pay:
                self._pay(order)
            db.session.commit()

        def _pay(self, order):
            assert mark_paid(order, "demo", f"demo_{order.number}", order.total_fen, order.currency)
            self.paid_in += order.total_fen
            # The same payment reported again changes nothing.
            assert not mark_paid(order, "demo", f"demo_{order.number}", order.total_fen, order.currency)

        @precondition(_can("order pending_payment"))
        @rule(i=PICK)
        def pay_later(self, i):
            self._pay(db.session.get(Order, _pick(PENDING_ORDERS, i)))
            db.session.commit()

        @precondition(_can("order pending_payment"))
        @rule(i=PICK)
        def cancel(self, i):
            assert cancel_order(db.session.get(Order, _pick(PENDING_ORDERS, i)), "buyer")
            db.session.commit()

        # -- refunds ---------------------------------------------------------------------------

        @precondition(_can("order refundable"))
        @rule(i=PICK, mode=st.sampled_from(["whole", "lines", "lines", "amount", "amount"]),
              amount=st.one_of(st.integers(1, 400), st.integers(1, 30_000), st.just(-1)),
              picks=st.lists(st.tuples(st.integers(0, 10), st.integers(1, 3)), min_size=1, max_size=2),
              restock=st.booleans(), now=st.sampled_from(["send", "send", "pending"]))
        def refund(self, i, mode, amount, picks, restock, now):
            order = db.session.get(Order, _pick(REFUNDABLE_ORDERS, i))
            summary = refund_summary(order)
            lines = [ln.id for ln in order.lines]
            quantities: dict[int, int] = {}
            for j, qty in picks:
                quantities[lines[j % len(lines)]] = qty
            if amount == -1:
                amount = summary.refundable_fen  # exactly everything that is left
            savepoint = db.session.begin_nested()
            try:
                refund = request_refund(order, mode=mode, key=self._key(), staff_id=self.staff.id,
                                        amount_fen=amount, quantities=quantities, restock=restock)
            except RefundError:
                savepoint.rollback()
                db.session.commit()
                # Refused only when it asked for more than is left (pending refunds count as gone).
                if mode == "whole":
                    assert summary.refundable_fen == 0
                elif mode == "amount":
                    assert not 0 < amount <= summary.refundable_fen
                else:
                    assert any(qty > summary.units_left[line] or summary.line_left_fen[line] == 0
                               for line, qty in quantities.items())
                return
            savepoint.commit()
            # Allocated when requested, never more than is left, in every mode.
            assert 0 < refund.amount_fen <= summary.refundable_fen
            assert refund.amount_fen == sum(rl.amount_fen for rl in refund.lines) + \
                sum(rs.amount_fen for rs in refund.shipping)
            if mode == "whole":
                assert refund.amount_fen == summary.refundable_fen
            elif mode == "amount":
                assert refund.amount_fen == amount
            else:
                assert refund.shipping == []
                assert {rl.line_id: rl.quantity for rl in refund.lines} == quantities
            for rl in refund.lines:
                assert 0 < rl.amount_fen <= summary.line_left_fen[rl.line_id]
            for rs in refund.shipping:
                assert 0 < rs.amount_fen <= summary.shipping_left_fen[rs.shipment_id]
            if now == "send":
                assert send_refund(refund) == "succeeded"  # the demo provider settles at once, and commits
                self._refund_succeeded(refund.id)
            db.session.commit()

        @precondition(_can("refund pending"))
        @rule(i=PICK, succeed=st.booleans())
        def finish_pending_refund(self, i, succeed):
            refund_id = _pick(PENDING_REFUNDS, i)
            if succeed:
                assert settle_refund(refund_id, f"demo_refund_{refund_id}")
                self._refund_succeeded(refund_id)
                assert not settle_refund(refund_id)  # once
            else:
                assert fail_refund(refund_id, "the bank refused")
                assert not settle_refund(refund_id)  # a failed refund never succeeds later
            db.session.commit()

        # -- shipping, delivery, settlement ----------------------------------------------------

        @precondition(_can("shipment to ship"))
        @rule(i=PICK, all_of_them=st.booleans())
        def ship(self, i, all_of_them):
            for shipment_id in db.session.scalars(TO_SHIP).all() if all_of_them else [_pick(TO_SHIP, i)]:
                assert ship_shipment(db.session.get(Shipment, shipment_id), "中国邮政", "EMS0001", now=self.clock)
            db.session.commit()

        @precondition(_can("shipment to ship"))
        @rule()
        def fulfil_everything(self):
            """Every paid shipment is shipped, and the buyers confirm they received them."""
            for shipment_id in db.session.scalars(TO_SHIP).all():
                shipment = db.session.get(Shipment, shipment_id)
                assert ship_shipment(shipment, "中国邮政", "EMS0001", now=self.clock)
                assert confirm_receipt(db.session.get(Order, shipment.order_id), shipment_id)
            db.session.commit()

        @precondition(_can("payout made"))
        @rule(items=ITEMS, then_payouts=st.booleans())
        def a_new_order_goes_all_the_way_to_settled(self, items, then_payouts):
            """Fast-forward, once payouts have begun: a new order is paid, everything paid is shipped and
            received, the refund window passes, and perhaps a payout run follows, so that payouts meet new
            money after earlier payouts and refunds."""
            self.place(items, pay=True)
            self.fulfil_everything()
            self._time_passes(window + timedelta(days=1))
            if then_payouts:
                self.payout_run(minimum=1, twice=False)

        @precondition(_can("shipment shipped"))
        @rule(i=PICK, by_buyer=st.booleans())
        def deliver(self, i, by_buyer):
            if by_buyer:
                shipment = db.session.get(Shipment, _pick(SHIPPED, i))
                assert confirm_receipt(db.session.get(Order, shipment.order_id), shipment.id)
            else:  # AUTO_DELIVER_DAYS after shipping
                auto_deliver_shipments(self.clock)
            db.session.commit()

        @rule(days=st.sampled_from([1, 3, 6, 7, 8, 11]))
        def days_pass_and_due_shipments_settle(self, days):
            self._time_passes(timedelta(days=days))

        def _time_passes(self, delta: timedelta) -> None:
            self.clock += delta
            due = set(db.session.scalars(select(Shipment.id).where(Shipment.status == "delivered",
                                                                   Shipment.delivered_at <= self.clock - window)))
            assert settle_due_shipments(self.clock) == len(due)
            assert settle_due_shipments(self.clock) == 0  # once
            db.session.commit()
            assert set(db.session.scalars(select(Shipment.id).where(Shipment.id.in_(due),
                                                                    Shipment.status == "settled"))) == due

        # -- payouts ---------------------------------------------------------------------------

        @precondition(_can("cooperative owed"))
        @rule(minimum=MINIMUMS, twice=st.booleans())
        def payout_run(self, minimum, twice):
            app.config["PAYOUT_MINIMUM_FEN"] = minimum
            owed = self.owed()
            run = run_payouts(self.staff.id)
            made = {p.coop_id: p for p in run.payouts} if run else {}
            assert len(made) == (len(run.payouts) if run else 0)  # one payout per cooperative
            for coop_id in self.coops:
                payout = made.get(coop_id)
                if payout is None:
                    assert owed[coop_id] < minimum
                elif payout.kind == "transfer":  # exactly what was owed: never more, nothing left behind
                    assert payout.amount_fen == owed[coop_id] >= minimum
                else:  # a Stripe cooperative owing after refunds: part of a paid transfer comes back
                    assert -payout.amount_fen == owed[coop_id] < 0 and payout.method == "stripe"
                    transfer = db.session.get(Payout, payout.reverses_id)
                    assert (transfer.kind, transfer.status, transfer.coop_id) == ("transfer", "paid", coop_id)
            if twice:
                assert run_payouts(self.staff.id) is None  # nothing is owed twice
            db.session.commit()

        @precondition(_can("payout pending"))
        @rule(i=PICK, outcome=st.sampled_from(["paid", "paid", "failed"]))
        def payout_answer(self, i, outcome):
            payout_id = _pick(PENDING_PAYOUTS, i)
            if outcome == "paid":
                assert mark_payout_paid(payout_id, f"BANK-{payout_id}")
                self.paid_out += db.session.get(Payout, payout_id, populate_existing=True).signed_fen
                assert not mark_payout_paid(payout_id, f"BANK-{payout_id}")  # paid once
            else:
                assert mark_payout_failed(payout_id, "account closed")
                assert not mark_payout_paid(payout_id, "late")  # a failed payout is paid only after a retry
            db.session.commit()

        @precondition(_can("payout failed"))
        @rule(i=PICK, retry=st.booleans())
        def failed_payout(self, i, retry):
            payout_id = _pick(FAILED_PAYOUTS, i)
            if retry:
                assert retry_payout(payout_id)
                assert not retry_payout(payout_id)
            else:  # what it covered is owed again, and the next run pays it
                assert cancel_payout(payout_id)
                assert not cancel_payout(payout_id) and not retry_payout(payout_id)
            db.session.commit()

        @precondition(_can("payout paid"))
        @rule(i=PICK)
        def handover(self, i):
            payout = db.session.get(Payout, _pick(PAID_PAYOUTS, i))
            statement = build_statement(payout)
            assert statement.households_fen + statement.retention_fen + statement.shipping_fen == payout.signed_fen
            for row in statement.waiting:
                record_handover(payout, row.household_id, today_local(), "cash", self.managers[payout.coop_id])
            assert build_statement(payout).waiting == []
            db.session.commit()

        # -- the invariants --------------------------------------------------------------------

        def owed(self) -> dict[int, int]:
            """What each cooperative is owed, worked out from the orders, refunds and payouts: what is left
            of its settled shipments' lines (less the commission the platform still holds on them) and
            shipping fees, less its payouts (unless cancelled)."""
            return self.read_books().owed

        def read_books(self) -> "Books":
            """Everything the invariants compare, in a fixed number of queries."""
            b = Books()
            ok = Refund.status == "succeeded"
            # the ledger: what is left of each line's parts, and the balances
            for line_id, account, hh, total in db.session.execute(
                    select(LedgerPosting.line_id, LedgerPosting.account, LedgerPosting.household_id,
                           func.sum(LedgerPosting.amount_fen))
                    .where(LedgerPosting.line_id.is_not(None), LedgerPosting.account.in_(tuple(FAMILY)))
                    .group_by(LedgerPosting.line_id, LedgerPosting.account, LedgerPosting.household_id)):
                b.parts[(line_id, FAMILY[account], hh)] -= int(total)
            for account, coop_id, shipment_id, total in db.session.execute(
                    select(LedgerPosting.account, LedgerPosting.coop_id, LedgerPosting.shipment_id,
                           func.sum(LedgerPosting.amount_fen))
                    .where(LedgerPosting.account.in_(("cash", "payout_transit", "shipping_pending", *PAYABLE)))
                    .group_by(LedgerPosting.account, LedgerPosting.coop_id, LedgerPosting.shipment_id)):
                if account == "cash":
                    b.cash += int(total)
                elif account == "payout_transit":
                    b.transit[coop_id] -= int(total)
                if account in PAYABLE:
                    b.payable[coop_id] -= int(total)
                if account.startswith("shipping_") and shipment_id is not None:
                    b.shipping_left[shipment_id] -= int(total)
            # the shop: lines, shipments, refunds and payouts
            refunded = dict(db.session.execute(select(RefundLine.line_id, func.sum(RefundLine.amount_fen))
                                               .join(Refund).where(ok).group_by(RefundLine.line_id)).all())
            shipping_back = dict(db.session.execute(
                select(RefundShipping.shipment_id, func.sum(RefundShipping.amount_fen)).join(Refund).where(ok)
                .group_by(RefundShipping.shipment_id)).all())
            b.owed = dict.fromkeys(self.coops, 0)
            seen = Counter()
            for shipment_id, coop_id, status, fee, order_status in db.session.execute(
                    select(Shipment.id, Shipment.coop_id, Shipment.status, Shipment.shipping_fee_fen, Order.status)
                    .join(Order)):
                seen[f"order {order_status}"] += 1
                seen[f"shipment {status}"] += 1
                if status == "awaiting_fulfilment" and order_status in ("paid", "partially_refunded"):
                    seen["shipment to ship"] += 1
                if order_status in ("paid", "completed", "partially_refunded"):
                    seen["order refundable"] += 1
                if order_status not in ("pending_payment", "cancelled"):
                    b.shipping_due[shipment_id] = fee - int(shipping_back.get(shipment_id) or 0)
                    if status == "settled":
                        b.owed[coop_id] += b.shipping_due[shipment_id]
            for line_id, gross, status, coop_id, order_status in db.session.execute(
                    select(OrderLine.id, OrderLine.gross_fen, Shipment.status, Shipment.coop_id, Order.status)
                    .join(OrderLine.shipment).join(OrderLine.order)
                    .where(Order.status.not_in(("pending_payment", "cancelled")))):
                b.line_due[line_id] = gross - int(refunded.get(line_id) or 0)
                if status == "settled":  # less the commission still held on it
                    b.owed[coop_id] += b.line_due[line_id] - b.parts[(line_id, "F", None)]
            for model in (Refund, Payout):
                for status, count in db.session.execute(select(model.status, func.count()).group_by(model.status)):
                    seen[f"{model.__name__.lower()} {status}"] += count
                    seen[f"{model.__name__.lower()} made"] += count
            for coop_id, status, fen in db.session.execute(
                    select(Payout.coop_id, Payout.status,
                           func.sum(Payout.signed_fen))
                    .group_by(Payout.coop_id, Payout.status)):
                if status != "cancelled":
                    b.owed[coop_id] -= int(fen)
                if status in ("pending", "failed"):
                    b.in_transit[coop_id] += int(fen)
            seen["cooperative owed"] = sum(1 for fen in b.owed.values() if fen)  # owing back counts too
            self.seen = seen  # what the next step's rules can act on
            return b

        @invariant()
        def the_books_are_right(self):
            assert check_ledger() == []
            b = self.read_books()
            # No part of a line (F, K, a household's share) below zero; what is left of a line is its gross
            # less its succeeded refunds, and a line refunded in full is zero everywhere.
            assert all(fen >= 0 for fen in b.parts.values()), {k: v for k, v in b.parts.items() if v < 0}
            left = defaultdict(int)
            for (line_id, _part, _hh), fen in b.parts.items():
                left[line_id] += fen
            assert all(fen == 0 for line_id, fen in left.items() if line_id not in b.line_due)
            for line_id, due in b.line_due.items():
                assert left[line_id] == due
                if due == 0:
                    assert all(fen == 0 for key, fen in b.parts.items() if key[0] == line_id)
            # No shipping fee below zero, and what is left of it is the fee less its refunds.
            assert all(fen == 0 for sid, fen in b.shipping_left.items() if sid not in b.shipping_due)
            for shipment_id, due in b.shipping_due.items():
                assert b.shipping_left[shipment_id] == due >= 0
            # Cash = payments − refunds − paid payouts, as the services reported them.
            assert b.cash == self.paid_in - self.refunded - self.paid_out
            # Each cooperative's payable balance is what it earned on settled shipments less its payouts;
            # money set aside for a payout stays set aside until the payout is paid or cancelled.
            assert {c: b.payable[c] for c in self.coops} == b.owed
            assert {c: b.transit[c] for c in self.coops} == {c: b.in_transit[c] for c in self.coops}
            # No unit is sold twice.
            assert db.session.scalar(select(func.count()).select_from(SupplyLot)
                                     .where(SupplyLot.units_remaining < 0)) == 0

    run_state_machine_as_test(LedgerMachine, settings=settings(
        max_examples=20, stateful_step_count=20, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow]))
