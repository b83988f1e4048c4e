"""The Stripe webhook: truly signed payloads only, each event once, effects idempotent on the order,
never backwards, mismatches and late payments flagged (and refunded), units released exactly once."""
import json
import threading
import time
from datetime import timedelta

from sqlalchemy import func, select, update

from shop.extensions import db
from shop.orders.models import Order
from shop.orders.services import expire_due_orders
from shop.supply.stock import reserve_units
from shop.payments.models import CheckoutAttempt, Payment, PaymentFlag, Refund, StripeEvent
from shop.types import utcnow
from tests.factories import log_in
from tests.payments.conftest import WEBHOOK_SECRET, get_order, make_pending_order, units_left
from tests.payments.fake_stripe import sign

URL = "/payments/stripe/webhook"


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _open_session(app, fake, **kw):
    o = make_pending_order(app, **kw)
    client = app.test_client()
    log_in(client, o["buyer_id"])
    location = client.get(f"/pay/{o['number']}").headers["Location"]
    o["session_id"] = location.rsplit("/", 1)[1]
    o["client"] = client
    return o


def _post(client, payload: bytes, header: str | None):
    headers = {"Content-Type": "application/json"} | ({"Stripe-Signature": header} if header else {})
    return client.post(URL, data=payload, headers=headers)


def _expire_order_now(app, order_id):
    with app.app_context():
        db.session.execute(update(Order).where(Order.id == order_id).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()


def test_completed_event_marks_the_order_paid_once_and_a_replay_does_nothing(app, fake_stripe):
    o = _open_session(app, fake_stripe)
    event = fake_stripe.complete(o["session_id"])
    assert fake_stripe.deliver(event, times=3) == [200, 200, 200]
    with app.app_context():
        order = get_order(o["number"])
        assert order.status == "paid" and order.payment_provider == "stripe"
        payment = db.session.scalar(select(Payment))
        assert (payment.amount_fen, payment.currency, payment.provider) == (o["total"], "CNY", "stripe")
        assert payment.provider_ref == fake_stripe.sessions[o["session_id"]]["payment_intent"]
        assert _count(Payment) == 1 and _count(StripeEvent) == 1
        assert db.session.scalar(select(CheckoutAttempt.status)) == "complete"


def test_unsigned_wrong_secret_tampered_and_stale_events_get_400_and_change_nothing(app, client, fake_stripe):
    o = _open_session(app, fake_stripe)
    payload = fake_stripe.payload(fake_stripe.complete(o["session_id"]))
    tampered = payload.replace(b'"paid"', b'"pai\\u0064"', 1)
    assert tampered != payload and json.loads(tampered) == json.loads(payload)  # same meaning, other bytes
    stale = int(time.time()) - 600  # Stripe's library allows five minutes
    cases = {
        "unsigned": (payload, None),
        "wrong secret": (payload, sign(payload, "whsec_someone_else")),
        "tampered byte": (tampered, sign(payload, WEBHOOK_SECRET)),
        "stale": (payload, sign(payload, WEBHOOK_SECRET, timestamp=stale)),
        "garbage header": (payload, "t=abc,v1=xyz"),
        "signed but not JSON": (b"not json", sign(b"not json", WEBHOOK_SECRET)),
        "signed but not an event": (b'{"id": 1}', sign(b'{"id": 1}', WEBHOOK_SECRET)),
    }
    for name, (body, header) in cases.items():
        assert _post(client, body, header).status_code == 400, name
    with app.app_context():
        assert get_order(o["number"]).status == "pending_payment"
        assert _count(Payment) == 0 and _count(StripeEvent) == 0
    assert _post(client, payload, sign(payload, WEBHOOK_SECRET)).status_code == 200  # the genuine one still works


def test_two_signatures_during_secret_rotation_are_accepted(app, client, fake_stripe):
    o = _open_session(app, fake_stripe)
    payload = fake_stripe.payload(fake_stripe.complete(o["session_id"]))
    header = sign(payload, ["whsec_old_secret", WEBHOOK_SECRET])
    assert header.count("v1=") == 2
    assert _post(client, payload, header).status_code == 200
    with app.app_context():
        assert get_order(o["number"]).status == "paid"


def test_webhook_is_the_only_route_exempt_from_csrf(app, fake_stripe):
    o = _open_session(app, fake_stripe)
    event = fake_stripe.complete(o["session_id"])
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert fake_stripe.deliver(event) == [200]
        assert o["client"].post(f"/orders/{o['number']}/cancel").status_code == 400
        assert o["client"].post(f"/pay/{o['number']}/demo").status_code in (400, 404)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_unknown_event_types_are_accepted_and_ignored(app, client, fake_stripe):
    event = {"id": "evt_unknown_1", "object": "event", "type": "customer.created",
             "data": {"object": {"id": "cus_1", "object": "customer"}}}
    payload = json.dumps(event).encode()
    assert _post(client, payload, sign(payload, WEBHOOK_SECRET)).status_code == 200
    with app.app_context():
        assert _count(StripeEvent) == 0


def test_a_session_for_an_order_we_do_not_know_is_accepted_and_ignored(app, client, fake_stripe):
    session = {"id": "cs_test_stranger", "object": "checkout.session", "status": "complete",
               "payment_status": "paid", "amount_total": 100, "currency": "cny", "client_reference_id": "99999",
               "metadata": {"order_id": "99999", "order_number": "LNX"}, "payment_intent": "pi_x"}
    payload = json.dumps({"id": "evt_s", "object": "event", "type": "checkout.session.completed",
                          "data": {"object": session}}).encode()
    assert _post(client, payload, sign(payload, WEBHOOK_SECRET)).status_code == 200
    with app.app_context():
        assert _count(Payment) == 0


def test_amount_mismatch_is_not_paid_and_is_flagged_for_staff(app, fake_stripe):
    o = _open_session(app, fake_stripe)
    event = fake_stripe.complete(o["session_id"], amount_total=o["total"] - 1)
    assert fake_stripe.deliver(event, times=2) == [200, 200]
    with app.app_context():
        assert get_order(o["number"]).status == "pending_payment"
        flag = db.session.scalar(select(PaymentFlag))
        assert flag.reason == "amount_mismatch" and flag.amount_fen == o["total"] - 1
        assert _count(PaymentFlag) == 1 and _count(Payment, Payment.status == "succeeded") == 1


def test_currency_mismatch_is_not_paid(app, fake_stripe):
    o = _open_session(app, fake_stripe)
    assert fake_stripe.deliver(fake_stripe.complete(o["session_id"], currency="usd")) == [200]
    with app.app_context():
        assert get_order(o["number"]).status == "pending_payment"
        assert db.session.scalar(select(PaymentFlag.reason)) == "amount_mismatch"


def test_unpaid_completion_waits_then_async_success_pays(app, fake_stripe):
    o = _open_session(app, fake_stripe)
    fake_stripe.deliver(fake_stripe.complete(o["session_id"], paid=False))
    with app.app_context():
        assert get_order(o["number"]).status == "pending_payment"
        assert db.session.scalar(select(CheckoutAttempt.status)) == "processing"
    fake_stripe.deliver(fake_stripe.settle_async(o["session_id"]))
    with app.app_context():
        assert get_order(o["number"]).status == "paid" and _count(Payment) == 1


def test_reordered_async_events_never_move_the_order_backwards(app, fake_stripe):
    o = _open_session(app, fake_stripe)
    completed = fake_stripe.complete(o["session_id"], paid=False)
    succeeded = fake_stripe.settle_async(o["session_id"])
    failed = {**succeeded, "id": "evt_late_failure", "type": "checkout.session.async_payment_failed"}
    assert fake_stripe.deliver(succeeded) + fake_stripe.deliver(completed) + fake_stripe.deliver(failed) == [200] * 3
    with app.app_context():
        order = get_order(o["number"])
        assert order.status == "paid" and _count(Payment) == 1


def test_async_failure_leaves_the_order_payable(app, fake_stripe):
    o = _open_session(app, fake_stripe)
    fake_stripe.deliver(fake_stripe.complete(o["session_id"], paid=False))
    fake_stripe.deliver(fake_stripe.settle_async(o["session_id"], succeeded=False))
    with app.app_context():
        assert get_order(o["number"]).status == "pending_payment"
        assert units_left(o["variant_ids"][0]) == 3
    again = o["client"].get(f"/pay/{o['number']}")
    assert again.status_code == 302 and o["session_id"] not in again.headers["Location"]


def test_two_different_events_for_one_session_fulfil_once(app, fake_stripe):
    o = _open_session(app, fake_stripe)
    completed = fake_stripe.complete(o["session_id"])
    succeeded = fake_stripe.settle_async(o["session_id"])
    assert fake_stripe.deliver(completed) + fake_stripe.deliver(succeeded) == [200, 200]
    with app.app_context():
        assert _count(Payment) == 1 and _count(StripeEvent) == 2 and _count(PaymentFlag) == 0


def test_expired_session_releases_the_units_exactly_once(app, fake_stripe):
    o = _open_session(app, fake_stripe, quantity=2, units=5)
    _expire_order_now(app, o["order_id"])
    event = fake_stripe.expire_now(o["session_id"])
    assert fake_stripe.deliver(event, times=2) == [200, 200]
    again = {**event, "id": "evt_other_copy"}
    assert fake_stripe.deliver(again) == [200]
    with app.app_context():
        order = get_order(o["number"])
        assert order.status == "cancelled" and order.cancel_reason == "expired"
        assert units_left(o["variant_ids"][0]) == 5


def test_expiry_of_a_replaced_session_keeps_the_order_and_its_units(app, fake_stripe):
    o = _open_session(app, fake_stripe, quantity=2, units=5)
    fake_stripe.deliver(fake_stripe.expire_now(o["session_id"]))
    with app.app_context():
        assert get_order(o["number"]).status == "pending_payment"
        assert units_left(o["variant_ids"][0]) == 3


def test_expiry_event_racing_the_expire_command_releases_once(app, fake_stripe):
    o = _open_session(app, fake_stripe, quantity=2, units=5)
    _expire_order_now(app, o["order_id"])
    event = fake_stripe.expire_now(o["session_id"])
    barrier, codes = threading.Barrier(2), []

    def command():
        with app.app_context():
            barrier.wait()
            expire_due_orders()
            db.session.commit()

    def webhook():
        barrier.wait()
        codes.extend(fake_stripe.deliver(event))

    threads = [threading.Thread(target=f) for f in (command, webhook)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert codes == [200]
    with app.app_context():
        assert get_order(o["number"]).status == "cancelled"
        assert units_left(o["variant_ids"][0]) == 5


def test_payment_after_the_units_were_released_is_flagged_and_refunded_never_oversold(app, fake_stripe):
    o = _open_session(app, fake_stripe, quantity=2, units=2)
    _expire_order_now(app, o["order_id"])
    with app.app_context():
        assert expire_due_orders() == 1
        db.session.commit()
    with app.app_context():
        reserve_units(o["variant_ids"][0], 2)  # another buyer takes the released units
        db.session.commit()
    event = fake_stripe.complete(o["session_id"])  # the buyer paid at the last second
    assert fake_stripe.deliver(event, times=2) == [200, 200]
    with app.app_context():
        order = get_order(o["number"])
        assert order.status == "cancelled"
        assert units_left(o["variant_ids"][0]) == 0  # nothing taken twice, nothing oversold
        flag = db.session.scalar(select(PaymentFlag))
        assert flag.reason == "late_payment" and flag.resolved_at is not None
        refund = db.session.scalar(select(Refund))
        assert refund.status == "succeeded" and refund.amount_fen == o["total"] and refund.flag_id == flag.id
    (stripe_refund,) = fake_stripe.refunds.values()
    assert stripe_refund["amount"] == o["total"]


def test_a_second_paid_session_for_a_paid_order_is_refunded(app, fake_stripe):
    o = _open_session(app, fake_stripe)
    with app.app_context():  # the first session nearly ran out, so the buyer got a second one
        db.session.execute(update(CheckoutAttempt).values(expires_at=utcnow() + timedelta(minutes=1)))
        db.session.commit()
    second = o["client"].get(f"/pay/{o['number']}").headers["Location"].rsplit("/", 1)[1]
    fake_stripe.sessions[o["session_id"]]["status"] = "open"  # Stripe had not expired it yet: both get paid
    first_paid, second_paid = fake_stripe.complete(o["session_id"]), fake_stripe.complete(second)
    assert fake_stripe.deliver(first_paid) + fake_stripe.deliver(second_paid) == [200, 200]
    with app.app_context():
        assert get_order(o["number"]).status == "paid"
        assert db.session.scalar(select(PaymentFlag.reason)) == "duplicate_payment"
        assert db.session.scalar(select(Refund.status)) == "succeeded"
    assert [r["amount"] for r in fake_stripe.refunds.values()] == [o["total"]]


def test_refund_of_a_late_payment_is_queued_for_staff_when_stripe_fails(app, fake_stripe):
    o = _open_session(app, fake_stripe)
    _expire_order_now(app, o["order_id"])
    with app.app_context():
        expire_due_orders()
        db.session.commit()
    fake_stripe.fail("reset", path="/v1/refunds")
    assert fake_stripe.deliver(fake_stripe.complete(o["session_id"])) == [200]
    with app.app_context():
        assert db.session.scalar(select(Refund.status)) == "pending"
        assert db.session.scalar(select(PaymentFlag.resolved_at)) is None


def test_ten_parallel_duplicates_have_one_effect(app, fake_stripe, needs_postgres):
    o = _open_session(app, fake_stripe)
    event = fake_stripe.complete(o["session_id"])
    payload = fake_stripe.payload(event)
    header = sign(payload, WEBHOOK_SECRET)
    barrier, codes = threading.Barrier(10), []

    def send():
        client = app.test_client()
        barrier.wait()
        codes.append(_post(client, payload, header).status_code)

    threads = [threading.Thread(target=send) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert codes == [200] * 10
    with app.app_context():
        assert get_order(o["number"]).status == "paid"
        assert _count(Payment) == 1 and _count(StripeEvent) == 1


def test_no_second_payment_is_offered_while_a_delayed_payment_is_processing(app, fake_stripe):
    o = _open_session(app, fake_stripe)
    fake_stripe.deliver(fake_stripe.complete(o["session_id"], paid=False))
    page = o["client"].get(f"/pay/{o['number']}", headers={"Accept-Language": "en"}, follow_redirects=True)
    assert "no need to pay again" in page.get_data(as_text=True)
    assert len(fake_stripe.sessions) == 1


def test_paid_exactly_once_however_the_webhooks_arrive(app, fake_stripe):
    o = _open_session(app, fake_stripe)
    fake_stripe.complete(o["session_id"], paid=False)
    fake_stripe.settle_async(o["session_id"])
    held = fake_stripe.take_outbox()
    fake_stripe.delivery = 0.2  # one late copy of each, from another thread
    for event in held:
        fake_stripe._dispatch(event)
    codes = [c for e in reversed(held) for c in fake_stripe.deliver(e, times=2)]  # reordered and duplicated
    fake_stripe.wait_for_deliveries()
    assert codes == [200] * 4
    with app.app_context():
        assert get_order(o["number"]).status == "paid"
        assert _count(Payment) == 1 and _count(StripeEvent) == 2
