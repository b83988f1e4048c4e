"""Refunds from the back office: whole, chosen lines or an amount; through Stripe with an idempotency
key (a replayed form or a retry after a lost answer refunds once); recorded as rows; units back on
sale when asked; flagged payments refunded from the review page."""
import re

from sqlalchemy import func, select

from shop.extensions import db
from shop.orders.models import Shipment
from shop.payments.models import PaymentFlag, Refund
from shop.payments.providers import DemoProvider
from tests.factories import log_in, make_user
from tests.payments.conftest import get_order, make_pending_order, units_left

EN = {"Accept-Language": "en"}


def _staff(app):
    with app.app_context():
        staff = make_user(is_staff=True).id
        db.session.commit()
    client = app.test_client()
    log_in(client, staff)
    return client


def _stripe_paid(app, fake, **kw):
    o = make_pending_order(app, **kw)
    buyer = app.test_client()
    log_in(buyer, o["buyer_id"])
    o["session_id"] = buyer.get(f"/pay/{o['number']}").headers["Location"].rsplit("/", 1)[1]
    assert fake.deliver(fake.complete(o["session_id"])) == [200]
    return o


def _demo_paid(app, **kw):
    o = make_pending_order(app, **kw)
    with app.app_context():
        DemoProvider().complete_demo(get_order(o["number"]))
        db.session.commit()
    return o


def _token(staff, number):
    page = staff.get(f"/staff/orders/{number}", headers=EN).get_data(as_text=True)
    return re.search(r'name="token" type="hidden" value="([^"]+)"', page).group(1)


def _refund(staff, number, token, **data):
    form = {"token": token, "mode": "whole", "reason": "test"} | data
    return staff.post(f"/staff/orders/{number}/refund", data=form, headers=EN)


def _refunds():
    return db.session.scalars(select(Refund).order_by(Refund.id)).all()


def test_whole_refund_of_a_demo_order_is_recorded_and_units_go_back(app, fake_stripe):
    app.config["STRIPE_SECRET_KEY"] = ""  # the demo shop
    o = _demo_paid(app, quantity=2, units=5)
    staff = _staff(app)
    resp = _refund(staff, o["number"], _token(staff, o["number"]), restock="y")
    assert resp.status_code == 302
    with app.app_context():
        (refund,) = _refunds()
        assert (refund.provider, refund.status, refund.amount_fen) == ("demo", "succeeded", o["total"])
        order = get_order(o["number"])
        assert order.status == "refunded"
        assert {s.status for s in db.session.scalars(select(Shipment))} == {"cancelled"}
        assert units_left(o["variant_ids"][0]) == 5
    assert fake_stripe.requests == []


def test_partial_refund_of_chosen_lines_through_stripe_and_a_replayed_form_refunds_once(app, fake_stripe):
    o = _stripe_paid(app, fake_stripe, quantity=2, units=5, price_fen=6800)
    staff = _staff(app)
    token = _token(staff, o["number"])
    for _ in range(2):  # the same form sent twice
        assert _refund(staff, o["number"], token, mode="lines", **{"quantities-0": "1"}, restock="y").status_code == 302
    (stripe_refund,) = fake_stripe.refunds.values()
    assert stripe_refund["amount"] == 6800
    keys = [r[3] for r in fake_stripe.requests if r[1] == "/v1/refunds"]
    assert keys == [f"staff-{token}"]  # the second submit found the refund already made
    with app.app_context():
        (refund,) = _refunds()
        assert refund.status == "succeeded" and refund.provider_ref == stripe_refund["id"]
        assert [(rl.quantity, rl.amount_fen) for rl in refund.lines] == [(1, 6800)]
        assert get_order(o["number"]).status == "partially_refunded"
        assert units_left(o["variant_ids"][0]) == 4
    assert set(fake_stripe.deliver_outbox()) == {200}  # refund.created and charge.refunded agree with us
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PaymentFlag)) == 0
    rest = _refund(staff, o["number"], _token(staff, o["number"]), mode="whole")
    assert rest.status_code == 302
    with app.app_context():
        assert [r.amount_fen for r in _refunds()] == [6800, o["total"] - 6800]
        assert get_order(o["number"]).status == "refunded"
        assert units_left(o["variant_ids"][0]) == 4  # the second refund did not ask for units back
    assert sum(r["amount"] for r in fake_stripe.refunds.values()) == o["total"]


def test_amount_refund_cannot_exceed_what_is_left(app, fake_stripe):
    o = _stripe_paid(app, fake_stripe)
    staff = _staff(app)
    too_much = f"{o['total'] // 100 + 1}.00"
    resp = _refund(staff, o["number"], _token(staff, o["number"]), mode="amount", amount=too_much)
    assert resp.status_code == 400 and "at most what is left" in resp.get_data(as_text=True)
    bad = _refund(staff, o["number"], _token(staff, o["number"]), mode="amount", amount="abc")
    assert bad.status_code == 400 and "12.50" in bad.get_data(as_text=True)
    too_many = _refund(staff, o["number"], _token(staff, o["number"]), mode="lines", **{"quantities-0": "3"})
    assert too_many.status_code == 400
    ok = _refund(staff, o["number"], _token(staff, o["number"]), mode="amount", amount="1.50")
    assert ok.status_code == 302
    with app.app_context():
        assert [r.amount_fen for r in _refunds()] == [150]
        assert get_order(o["number"]).status == "partially_refunded"


def test_a_refund_whose_answer_was_lost_is_retried_with_the_same_key(app, fake_stripe):
    o = _stripe_paid(app, fake_stripe)
    staff = _staff(app)
    fake_stripe.fail("lost", path="/v1/refunds")
    assert _refund(staff, o["number"], _token(staff, o["number"])).status_code == 302
    with app.app_context():
        (refund,) = _refunds()
        assert refund.status == "pending" and get_order(o["number"]).status == "paid"
        refund_id = refund.id
    assert staff.post(f"/staff/refunds/{refund_id}/retry").status_code == 302
    assert len(fake_stripe.refunds) == 1  # Stripe made it once; the retry got it back
    with app.app_context():
        assert _refunds()[0].status == "succeeded"
        assert get_order(o["number"]).status == "refunded"


def test_a_refund_refused_by_stripe_is_failed_and_nothing_changes(app, fake_stripe):
    o = _stripe_paid(app, fake_stripe)
    staff = _staff(app)
    fake_stripe.fail("500", path="/v1/refunds")
    resp = staff.post(f"/staff/orders/{o['number']}/refund", data={"token": _token(staff, o["number"]),
                                                                  "mode": "whole"}, headers=EN,
                      follow_redirects=True)
    # A 500 is "outcome unknown": the refund stays pending until Stripe is asked again.
    assert "waiting for the payment service" in resp.get_data(as_text=True)
    with app.app_context():
        refund_id = _refunds()[0].id
        assert _refunds()[0].status == "pending"
    # The same key replays the 500, and Stripe lists no refund for it: now it is refused.
    resp = staff.post(f"/staff/refunds/{refund_id}/retry", headers=EN, follow_redirects=True)
    assert "refused the refund" in resp.get_data(as_text=True)
    with app.app_context():
        assert _refunds()[0].status == "failed"
        assert get_order(o["number"]).status == "paid"


def test_a_pending_stripe_refund_settles_once_from_replayed_webhooks(app, fake_stripe):
    o = _stripe_paid(app, fake_stripe, quantity=2, units=5)
    staff = _staff(app)
    fake_stripe.refund_status = "pending"
    assert _refund(staff, o["number"], _token(staff, o["number"]), restock="y").status_code == 302
    fake_stripe.take_outbox()
    with app.app_context():
        assert _refunds()[0].status == "pending" and units_left(o["variant_ids"][0]) == 3
    (re_id,) = fake_stripe.refunds
    updated = fake_stripe.set_refund_status(re_id, "succeeded")
    assert fake_stripe.deliver(updated, times=2) + fake_stripe.deliver({**updated, "id": "evt_copy"}) == [200] * 3
    with app.app_context():
        assert _refunds()[0].status == "succeeded"
        assert get_order(o["number"]).status == "refunded"
        assert units_left(o["variant_ids"][0]) == 5  # returned once


def test_a_refund_made_outside_the_shop_is_flagged(app, fake_stripe):
    o = _stripe_paid(app, fake_stripe)
    pi = fake_stripe.sessions[o["session_id"]]["payment_intent"]
    fake_stripe._create_refund({"payment_intent": pi, "amount": "100"})  # e.g. in Stripe's dashboard
    assert set(fake_stripe.deliver_outbox()) == {200}
    with app.app_context():
        reasons = list(db.session.scalars(select(PaymentFlag.reason)))
        assert reasons == ["refund_mismatch"]  # refund.created and charge.refunded: one flag


def test_flagged_payment_is_listed_and_staff_can_refund_and_close_it(app, fake_stripe):
    o = make_pending_order(app)
    buyer = app.test_client()
    log_in(buyer, o["buyer_id"])
    sid = buyer.get(f"/pay/{o['number']}").headers["Location"].rsplit("/", 1)[1]
    fake_stripe.deliver(fake_stripe.complete(sid, amount_total=o["total"] + 500))
    staff = _staff(app)
    page = staff.get("/staff/flags", headers=EN).get_data(as_text=True)
    assert o["number"] in page and "does not match the order" in page
    assert "Payments to review" in staff.get("/staff", headers=EN).get_data(as_text=True)
    with app.app_context():
        flag_id = db.session.scalar(select(PaymentFlag.id))
    assert staff.post(f"/staff/flags/{flag_id}/refund").status_code == 302
    assert staff.post(f"/staff/flags/{flag_id}/refund").status_code == 302  # twice: still one refund
    assert [r["amount"] for r in fake_stripe.refunds.values()] == [o["total"] + 500]
    with app.app_context():
        assert db.session.scalar(select(PaymentFlag.resolved_at)) is not None
        assert get_order(o["number"]).status == "pending_payment"
    assert o["number"] not in staff.get("/staff/flags", headers=EN).get_data(as_text=True)


def test_staff_can_close_a_flag_with_a_note(app, fake_stripe):
    o = _stripe_paid(app, fake_stripe)
    pi = fake_stripe.sessions[o["session_id"]]["payment_intent"]
    fake_stripe._create_refund({"payment_intent": pi, "amount": "100"})
    fake_stripe.deliver_outbox()
    staff = _staff(app)
    with app.app_context():
        flag_id = db.session.scalar(select(PaymentFlag.id))
    assert staff.post(f"/staff/flags/{flag_id}/resolve", data={"note": ""}, headers=EN).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(PaymentFlag.resolved_at)) is None
    staff.post(f"/staff/flags/{flag_id}/resolve", data={"note": "Refunded by phone"}, headers=EN)
    with app.app_context():
        assert db.session.scalar(select(PaymentFlag.resolution)) == "Refunded by phone"


def test_refund_pages_are_for_staff_only(app, fake_stripe):
    o = _stripe_paid(app, fake_stripe)
    buyer = app.test_client()
    log_in(buyer, o["buyer_id"])
    for method, url in (("get", "/staff/orders"), ("get", f"/staff/orders/{o['number']}"), ("get", "/staff/flags"),
                        ("post", f"/staff/orders/{o['number']}/refund"), ("post", "/staff/refunds/1/retry"),
                        ("post", "/staff/flags/1/refund"), ("post", "/staff/flags/1/resolve")):
        assert getattr(buyer, method)(url).status_code == 403, url
    staff = _staff(app)
    assert o["number"] in staff.get("/staff/orders", headers=EN).get_data(as_text=True)
    assert staff.get("/staff/orders/NOPE").status_code == 404


def test_send_refunds_command_sends_refunds_left_pending(app, fake_stripe):
    o = _stripe_paid(app, fake_stripe)
    staff = _staff(app)
    fake_stripe.fail("timeout", path="/v1/refunds")
    _refund(staff, o["number"], _token(staff, o["number"]))
    with app.app_context():
        assert _refunds()[0].status == "pending"
    result = app.test_cli_runner().invoke(args=["payments", "send-refunds"])
    assert result.exit_code == 0 and "1 refunded" in result.output
    with app.app_context():
        assert _refunds()[0].status == "succeeded" and get_order(o["number"]).status == "refunded"
    assert len(fake_stripe.refunds) == 1


def test_the_restock_box_is_ticked_while_nothing_has_been_sent(app):
    from shop.coops.fulfilment import ship_shipment

    staff = _staff(app)
    o = _demo_paid(app)
    box = re.compile(r'<input[^>]*name="restock"[^>]*>')
    assert "checked" in box.search(staff.get(f"/staff/orders/{o['number']}", headers=EN).get_data(as_text=True))[0]
    with app.app_context():
        ship_shipment(get_order(o["number"]).shipments[0], "中国邮政", "EMS1234567890")
        db.session.commit()
    assert "checked" not in box.search(staff.get(f"/staff/orders/{o['number']}", headers=EN).get_data(as_text=True))[0]
