"""Every money and administrative action leaves exactly one audit event, in the same transaction: who did
it (None for cron), on what ("kind:id") and a short account with the amounts in fen. A refused action
or a replayed form leaves none."""
import re

from sqlalchemy import select

from shop.audit.models import AuditEvent
from shop.extensions import db
from shop.payments.models import PaymentFlag, Refund
from shop.payments.refunds import request_refund
from shop.payouts.models import Payout
from shop.payouts.services import run_payouts, send_pending_stripe_payouts
from shop.supply.services import record_supply_lot
from tests.coops.test_fulfilment_builders import HARVEST, CoopWorld
from tests.factories import log_in, make_coop, make_user
from tests.payments.conftest import fake_stripe, get_order, make_pending_order, stripe_server  # noqa: F401
from tests.payouts.payout_world import build, payouts, settled_sale

EN = {"Accept-Language": "en"}


def _events() -> list[tuple[str, str, str, int | None]]:
    return [(e.action, e.target, e.detail, e.user_id)
            for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def _staff_client(app):
    with app.app_context():
        staff = make_user(is_staff=True).id
        db.session.commit()
    client = app.test_client()
    log_in(client, staff)
    return client, staff


def _demo_paid(app) -> dict:
    from shop.payments.providers import DemoProvider

    o = make_pending_order(app, quantity=2, units=5)
    with app.app_context():
        DemoProvider().complete_demo(get_order(o["number"]))
        db.session.commit()
    return o


def test_a_staff_refund_is_audited_once_even_when_the_form_is_sent_twice(app, client):
    o = _demo_paid(app)
    client, staff = _staff_client(app)
    page = client.get(f"/staff/orders/{o['number']}", headers=EN).get_data(as_text=True)
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page).group(1)
    form = {"token": token, "mode": "amount", "amount": "12.34", "reason": "bruised"}
    for _ in range(2):  # the same form twice: one refund, one event
        assert client.post(f"/staff/orders/{o['number']}/refund", data=form, headers=EN).status_code == 302
    with app.app_context():
        (refund,) = db.session.scalars(select(Refund)).all()
        assert _events() == [("refund_requested", f"refund:{refund.id}",
                              f"order {o['number']}, 1234 fen (amount): bruised", staff)]
    too_much = {"token": token + "x", "mode": "amount", "amount": "99999", "reason": ""}
    assert client.post(f"/staff/orders/{o['number']}/refund", data=too_much, headers=EN).status_code == 400
    with app.app_context():
        assert len(_events()) == 1  # refused: rolled back with the refund


def test_retrying_a_pending_refund_is_audited_and_a_settled_one_is_not(app):
    o = _demo_paid(app)
    client, staff = _staff_client(app)
    with app.app_context():
        refund = request_refund(get_order(o["number"]), mode="whole", key="k-1", staff_id=None)
        db.session.commit()  # written, not sent: pending
        refund_id, amount = refund.id, refund.amount_fen
    assert client.post(f"/staff/refunds/{refund_id}/retry").status_code == 302
    assert client.post(f"/staff/refunds/{refund_id}/retry").status_code == 302  # already refunded: nothing to do
    with app.app_context():
        assert db.session.get(Refund, refund_id).status == "succeeded"
        assert _events() == [
            ("refund_requested", f"refund:{refund_id}", f"order {o['number']}, {amount} fen (whole)", None),
            ("refund_retried", f"refund:{refund_id}", f"order {o['number']}, {amount} fen", staff)]


def test_refunding_and_closing_flagged_payments_are_audited(app, fake_stripe):  # noqa: F811
    flags = []
    for _ in range(2):
        o = make_pending_order(app)
        buyer = app.test_client()
        log_in(buyer, o["buyer_id"])
        sid = buyer.get(f"/pay/{o['number']}").headers["Location"].rsplit("/", 1)[1]
        fake_stripe.deliver(fake_stripe.complete(sid, amount_total=o["total"] + 500))
        flags.append(o)
    client, staff = _staff_client(app)
    with app.app_context():
        first, second = db.session.scalars(select(PaymentFlag.id).order_by(PaymentFlag.id)).all()
    assert client.post(f"/staff/flags/{first}/refund").status_code == 302
    assert client.post(f"/staff/flags/{second}/resolve", data={"note": "Paid back by phone"}).status_code == 302
    assert client.post(f"/staff/flags/{second}/resolve", data={"note": "again"}).status_code == 302  # already closed
    with app.app_context():
        (refund,) = db.session.scalars(select(Refund)).all()
        paid = flags[1]["total"] + 500
        assert _events() == [
            ("flag_refunded", f"flag:{first}", f"refund {refund.id}, {flags[0]['total'] + 500} fen", staff),
            ("flag_resolved", f"flag:{second}", f"amount_mismatch, {paid} fen: Paid back by phone", staff)]


def test_a_payout_run_is_one_event_with_its_count_and_total_and_cron_has_no_user(app, monkeypatch):
    world = build(app, monkeypatch)
    client = app.test_client()
    log_in(client, world.staff_id)
    assert client.post("/staff/payouts/run").status_code == 302
    assert client.post("/staff/payouts/run").status_code == 302  # nothing due: no run, no event
    with app.app_context():
        (payout,) = payouts()
        assert _events() == [("payout_run", f"payout_run:{payout.run_id}", f"1 payout(s), {payout.amount_fen} fen",
                              world.staff_id)]
        other = CoopWorld(households=2)
        record_supply_lot(other.coop, other.variant.id, 20, HARVEST, [(h.id, 10) for h in other.households],
                          other.manager.id)
        settled_sale(other)
        settled_sale(other)
        run = run_payouts()  # as cron does
        db.session.commit()
        (second,) = run.payouts
        assert _events()[1:] == [("payout_run", f"payout_run:{run.id}", f"1 payout(s), {second.amount_fen} fen",
                                  None)]


def test_marking_paid_failing_retrying_cancelling_and_a_handover_are_each_audited(app, client, monkeypatch):
    world = build(app, monkeypatch, run=True)
    log_in(client, world.staff_id)
    with app.app_context():
        (payout,) = payouts()
        pid, fen, number = payout.id, payout.amount_fen, payout.number
    assert client.post(f"/staff/payouts/{pid}/failed", data={"reason": "account closed"}).status_code == 302
    assert client.post(f"/staff/payouts/{pid}/paid", data={"reference": "BOC-1"}).status_code == 400  # refused
    assert client.post(f"/staff/payouts/{pid}/retry").status_code == 302
    assert client.post(f"/staff/payouts/{pid}/failed", data={"reason": "again"}).status_code == 302
    assert client.post(f"/staff/payouts/{pid}/cancel").status_code == 302
    assert client.post(f"/staff/payouts/{pid}/cancel").status_code == 400  # refused: no event
    with app.app_context():
        assert _events()[0] == ("payout_run", f"payout_run:{payouts()[0].run_id}", f"1 payout(s), {fen} fen", None)
        assert _events()[1:] == [
            ("payout_failed", f"payout:{pid}", f"{fen} fen, reason: account closed", world.staff_id),
            ("payout_retried", f"payout:{pid}", f"{fen} fen, try 2, bank", world.staff_id),
            ("payout_failed", f"payout:{pid}", f"{fen} fen, reason: again", world.staff_id),
            ("payout_cancelled", f"payout:{pid}", f"{fen} fen", world.staff_id)]
        db.session.execute(AuditEvent.__table__.delete())
        run_payouts()  # what the cancelled payout covered is owed again
        db.session.commit()
        payout = payouts()[-1]
        pid, fen = payout.id, payout.amount_fen
    assert client.post(f"/staff/payouts/{pid}/paid", data={"reference": "BOC-7"}).status_code == 302
    manager = app.test_client()
    log_in(manager, world.manager_id)
    hh = world.household_ids[0]
    form = {"handed_over_on": "2026-01-01", "method": "cash", "note": ""}
    with app.app_context():
        from shop.payouts.services import build_statement
        from shop.types import today_local

        form["handed_over_on"] = today_local().isoformat()
        part = next(r.amount_fen for r in build_statement(db.session.get(Payout, pid)).households
                    if r.household_id == hh)
    assert manager.post(f"/coop/payouts/{pid}/handovers/{hh}", data=form).status_code == 302
    assert manager.post(f"/coop/payouts/{pid}/handovers/{hh}", data=form).status_code == 400  # twice: refused
    with app.app_context():
        from shop.payouts.models import Handover

        (handover,) = db.session.scalars(select(Handover)).all()
        run_event, *rest = _events()
        assert run_event[0] == "payout_run" and run_event[3] is None
        assert rest == [("payout_paid", f"payout:{pid}", f"{fen} fen, reference BOC-7", world.staff_id),
                        ("handover_recorded", f"handover:{handover.id}",
                         f"payout {Payout(id=pid).number}, household {hh}, {part} fen, cash, {form['handed_over_on']}",
                         world.manager_id)]
    assert number  # the first payout kept its number


def test_a_stripe_payout_sent_is_audited_with_who_sent_it(app, fake_stripe, monkeypatch):  # noqa: F811
    monkeypatch.setitem(app.config, "PAYOUT_MINIMUM_FEN", 1)
    with app.app_context():
        world = CoopWorld(payout_method="stripe", stripe_account_id="acct_test_unknown")  # Stripe refuses it
        record_supply_lot(world.coop, world.variant.id, 30, HARVEST, [(h.id, 10) for h in world.households],
                          world.manager.id)
        settled_sale(world)
        settled_sale(world)
        run_payouts()
        db.session.commit()
    client, staff = _staff_client(app)
    assert client.post("/staff/payouts/send").status_code == 302
    with app.app_context():
        (payout,) = payouts()
        pid, fen = payout.id, payout.amount_fen
        assert payout.status == "failed"
    fake_stripe.connected_accounts.add("acct_test_unknown")
    assert client.post(f"/staff/payouts/{pid}/retry").status_code == 302  # sent again at once, by this user
    with app.app_context():
        (payout,) = payouts()
        assert payout.status == "paid"
        events = _events()
        assert [e[0] for e in events] == ["payout_run", "payout_sent", "payout_retried", "payout_sent"]
        assert events[1][1:] == (f"payout:{pid}", events[1][2], staff) and events[1][2].startswith(f"{fen} fen, failed")
        assert events[3] == ("payout_sent", f"payout:{pid}", f"{fen} fen, paid: {payout.reference}", staff)
        assert send_pending_stripe_payouts() == {}  # nothing waits: no event
        assert len(_events()) == 4


def test_approving_and_rejecting_applications_are_audited(app):
    client, staff = _staff_client(app)
    with app.app_context():
        good = make_coop(status="pending", contact_email="new.manager@example.test", contact_name="王经理").id
        bad = make_coop(status="pending", contact_email="x@example.test").id
        db.session.commit()
    assert client.post(f"/staff/applications/{good}/approve").status_code == 302
    assert client.post(f"/staff/applications/{good}/approve").status_code == 404  # already decided: no event
    assert client.post(f"/staff/applications/{bad}/reject", data={"reason": "No member list"}).status_code == 302
    with app.app_context():
        from shop.coops.models import Cooperative

        good_name, bad_name = (db.session.get(Cooperative, i).name_zh for i in (good, bad))
        assert _events() == [
            ("coop_approved", f"coop:{good}", f"{good_name}, manager new.manager@example.test", staff),
            ("coop_rejected", f"coop:{bad}", f"{bad_name}: No member list", staff)]


def test_an_event_is_rolled_back_with_its_action(app):
    """The event is written in the action's transaction: a rollback takes both back."""
    o = _demo_paid(app)
    with app.app_context():
        request_refund(get_order(o["number"]), mode="whole", key="k-2", staff_id=None)
        assert len(_events()) == 1
        db.session.rollback()
        assert _events() == [] and db.session.scalars(select(Refund)).all() == []
