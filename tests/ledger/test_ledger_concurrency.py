"""Payout runs racing each other and racing a refund, on PostgreSQL with real parallel transactions: each
thread has its own app context, session and connection, and commits as a request or a cron job would."""
import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from shop.catalog.models import Variant
from shop.coops.fulfilment import ship_shipment
from shop.extensions import db
from shop.ledger.check import check_ledger
from shop.orders.models import Order
from shop.orders.services import confirm_receipt
from shop.payments.refunds import request_refund, settle_refund
from shop.payouts.models import Payout
from shop.payouts.services import run_payouts
from shop.payouts.settlement import settle_due_shipments
from tests.ledger.ledger_world import Walnuts, after_refund_window, buy, coop_payable, quick_user

pytestmark = pytest.mark.usefixtures("needs_postgres")

SETTLED_WALNUTS = 1_292 + 11_628 + 1_000  # K + H + shipping of the worked example, once settled
HALF_BACK = 6_800 - 340  # one of the two units refunded: the cooperative's side of it (F gives back 340)


@pytest.fixture(autouse=True)
def low_minimum(app, monkeypatch):
    monkeypatch.setitem(app.config, "PAYOUT_MINIMUM_FEN", 1)


def _settled_walnut_order(variant) -> Order:
    """Two units bought, paid, shipped and delivered (settled by the caller's settle_due_shipments)."""
    order = buy(quick_user(), (variant, 2))
    (shipment,) = order.shipments
    assert ship_shipment(shipment, "中国邮政", "EMS1234567890")
    assert confirm_receipt(order, shipment.id)
    return order


def _in_thread(app, work, results: list, i: int, barrier: threading.Barrier | None = None,
               name: str | None = None) -> threading.Thread:
    def run():
        with app.app_context():
            try:
                if barrier is not None:
                    barrier.wait()
                results[i] = work()
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - the test reports any failure
                db.session.rollback()
                results[i] = f"ERROR {type(error).__name__}: {error}"
            finally:
                db.session.remove()

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread


def _payouts_made() -> list[int]:
    run = run_payouts()
    return [] if run is None else [p.id for p in run.payouts]


def test_two_payout_runs_at_once_pay_each_cooperative_once(app):
    with app.app_context():
        worlds = [Walnuts(), Walnuts(price_fen=3_300)]
        coop_ids, variant_ids = [w.coop.id for w in worlds], [w.variant.id for w in worlds]
        db.session.commit()
        db.session.remove()
    for _round in range(3):  # each round settles new money, then two runs race for it
        with app.app_context():
            for variant_id in variant_ids:
                _settled_walnut_order(db.session.get(Variant, variant_id))
            assert settle_due_shipments(after_refund_window()) == 2
            db.session.commit()
            owed = {coop_id: coop_payable(coop_id) for coop_id in coop_ids}
            assert all(fen > 0 for fen in owed.values())
            before = set(db.session.scalars(select(Payout.id)))
            db.session.remove()

        results: list = [None, None]
        barrier = threading.Barrier(2)
        threads = [_in_thread(app, _payouts_made, results, i, barrier) for i in range(2)]
        for t in threads:
            t.join(60)

        assert not [r for r in results if isinstance(r, str)], results
        with app.app_context():
            new = db.session.scalars(select(Payout).where(Payout.id.not_in(before)).order_by(Payout.id)).all()
            assert sorted(p.coop_id for p in new) == sorted(coop_ids)  # exactly one payout per cooperative
            assert {p.coop_id: p.amount_fen for p in new} == owed  # of exactly the balance
            assert sorted(results[0] + results[1]) == [p.id for p in new]
            assert all(coop_payable(coop_id) == 0 for coop_id in coop_ids)
            assert check_ledger() == []
            db.session.remove()


def _refund_and_payout_world(app) -> dict:
    """A settled walnut order and a pending refund of one of its two units, committed."""
    with app.app_context():
        w = Walnuts()
        order = _settled_walnut_order(w.variant)
        assert settle_due_shipments(after_refund_window()) == 1
        refund = request_refund(order, mode="lines", key=f"one-unit-{order.id}", staff_id=None,
                                quantities={order.lines[0].id: 1})
        assert refund.amount_fen == 6_800
        db.session.commit()
        assert coop_payable(w.coop.id) == SETTLED_WALNUTS
        ids = {"coop_id": w.coop.id, "refund_id": refund.id}
        db.session.remove()
        return ids


def _after_the_race(app, coop_id: int, results: list) -> list[int]:
    assert not [r for r in results if isinstance(r, str)], results
    with app.app_context():
        payouts = db.session.scalars(select(Payout.amount_fen).where(Payout.coop_id == coop_id)).all()
        assert len(payouts) == 1
        # whatever the order, the books say: settled − refunds − payouts
        assert coop_payable(coop_id) == SETTLED_WALNUTS - HALF_BACK - sum(payouts)
        assert check_ledger() == []
        # and the next run nets off whatever the refund left owing
        if coop_payable(coop_id) > 0:
            assert run_payouts() is not None
        db.session.commit()
        assert coop_payable(coop_id) <= 0
        assert check_ledger() == []
        db.session.remove()
    return payouts


def test_a_refund_and_a_payout_run_racing_each_other(app):
    for _ in range(3):
        ids = _refund_and_payout_world(app)
        results: list = [None, None]
        barrier = threading.Barrier(2)
        threads = [_in_thread(app, lambda: settle_refund(ids["refund_id"]), results, 0, barrier),
                   _in_thread(app, _payouts_made, results, 1, barrier)]
        for t in threads:
            t.join(60)
        assert results[0] is True
        assert _after_the_race(app, ids["coop_id"], results) in ([SETTLED_WALNUTS], [SETTLED_WALNUTS - HALF_BACK])
        with app.app_context():
            db.session.remove()


@pytest.mark.parametrize("first", ["refund", "payout run"])
def test_a_refund_and_a_payout_run_overlapping_in_either_order(app, first):
    """The first one does its work and keeps its transaction open while the second one starts; the first
    commits when the second is done, or after a moment if the second waits for it."""
    ids = _refund_and_payout_world(app)
    work = {"refund": lambda: settle_refund(ids["refund_id"]), "payout run": _payouts_made}
    second = "payout run" if first == "refund" else "refund"
    started, finished = threading.Event(), threading.Event()
    results: list = [None, None]

    def first_work():
        done = work[first]()
        db.session.flush()
        started.set()
        finished.wait(1)  # the second one either finishes meanwhile, or waits for this commit
        return done

    def second_work():
        started.wait(10)
        done = work[second]()
        return done

    threads = [_in_thread(app, first_work, results, 0)]
    threads.append(_in_thread(app, lambda: _then(second_work, finished), results, 1))
    for t in threads:
        t.join(60)
    paid = _after_the_race(app, ids["coop_id"], results)
    if first == "refund":  # the run saw the refund: it pays only what is left
        assert paid == [SETTLED_WALNUTS - HALF_BACK]
    else:  # the refund came after the payout: the cooperative owes it back from its next payout
        assert paid == [SETTLED_WALNUTS]


def _then(work, event: threading.Event):
    try:
        return work()
    finally:
        event.set()


@contextmanager
def _statement_hooks(app, before=None, after=None):
    """Call before(statement) / after(statement) around every statement sent (any thread): the tests use
    them to hold one transaction at an exact point while another one runs."""
    with app.app_context():
        engine = db.engine

    def on_before(conn, cursor, statement, parameters, context, executemany):
        if before:
            before(statement)

    def on_after(conn, cursor, statement, parameters, context, executemany):
        if after:
            after(statement)

    event.listen(engine, "before_cursor_execute", on_before)
    event.listen(engine, "after_cursor_execute", on_after)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", on_before)
        event.remove(engine, "after_cursor_execute", on_after)


def test_a_refund_written_while_a_payout_run_holds_the_cooperative_comes_after_the_payout(app):
    """The payout run has locked the cooperative and read its balance; the refund succeeds at that moment.
    The refund's ledger entry must not be numbered before the payout that did not see it, or the books
    would say the payout paid more than was owed (ledger check orders a cooperative's entries by number)."""
    ids = _refund_and_payout_world(app)
    run_has_read, refund_numbered = threading.Event(), threading.Event()

    def before(statement):
        if threading.current_thread().name == "payout run" and statement.startswith("INSERT INTO payout_runs"):
            run_has_read.set()  # the cooperative is locked and its balance read: let the refund go
            refund_numbered.wait(1.5)  # …until it has written its ledger transaction (or is waiting for us)

    def after(statement):
        if threading.current_thread().name == "refund" and statement.startswith("INSERT INTO ledger_transactions"):
            refund_numbered.set()

    def refund():
        assert run_has_read.wait(10)
        return settle_refund(ids["refund_id"])

    results: list = [None, None]
    with _statement_hooks(app, before, after):
        threads = [_in_thread(app, _payouts_made, results, 0, name="payout run"),
                   _in_thread(app, refund, results, 1, name="refund")]
        for t in threads:
            t.join(60)
    assert results[1] is True
    assert _after_the_race(app, ids["coop_id"], results) == [SETTLED_WALNUTS]
