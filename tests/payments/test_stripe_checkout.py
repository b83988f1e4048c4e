"""Starting a Stripe payment: the session's contents, attempts and idempotency keys, retries after
every kind of Stripe failure, the reservation's extension, and Stripe staying off without both keys."""
import threading
from datetime import timedelta

from sqlalchemy import func, select, update

from shop.extensions import db
from shop.orders.models import Order
from shop.payments.models import CheckoutAttempt
from shop.types import utcnow
from tests.factories import log_in
from tests.payments.conftest import get_order, make_pending_order, units_left

EN = {"Accept-Language": "en"}


def _creates(fake):
    return [r for r in fake.requests if r[0] == "POST" and r[1] == "/v1/checkout/sessions"]


def _pay(client, number):
    return client.get(f"/pay/{number}", headers=EN)


def test_session_carries_lines_shipping_order_reference_locale_and_expiry(app, client, fake_stripe):
    o = make_pending_order(app, quantity=2, products=2)
    log_in(client, o["buyer_id"])
    resp = _pay(client, o["number"])
    assert resp.status_code == 302 and resp.headers["Location"].startswith(f"{fake_stripe.url}/pay/cs_test_")
    (_, _, params, key), = _creates(fake_stripe)
    assert key == f"checkout-order-{o['order_id']}-attempt-1"
    assert params["mode"] == "payment" and params["currency"] == "cny" and params["locale"] == "zh"
    assert params["client_reference_id"] == str(o["order_id"])
    assert params["metadata"] == {"order_id": str(o["order_id"]), "order_number": o["number"]}
    assert params["payment_intent_data"]["metadata"]["order_number"] == o["number"]
    assert params["allowed_payment_method_types"] == ["card"] and "payment_method_types" not in params
    items = params["line_items"]
    assert len(items) == 4  # two products and one shipping line per shipment
    assert sum(int(i["price_data"]["unit_amount"]) * int(i["quantity"]) for i in items) == o["total"]
    assert sum(1 for i in items if i["price_data"]["product_data"]["name"].startswith("运费")) == 2
    assert params["success_url"].endswith(f"/pay/{o['number']}/return?session_id={{CHECKOUT_SESSION_ID}}")
    assert params["cancel_url"].endswith(f"/pay/{o['number']}/return?cancelled=1")
    with app.app_context():
        order = get_order(o["number"])
        assert int(params["expires_at"]) == int(order.expires_at.timestamp())
        assert order.status == "pending_payment"


def test_english_order_pays_in_english_and_wallets_setting_adds_alipay_and_wechat(app, client, fake_stripe):
    app.config["STRIPE_WALLETS"] = True
    o = make_pending_order(app, locale="en")
    log_in(client, o["buyer_id"])
    assert _pay(client, o["number"]).status_code == 302
    params = _creates(fake_stripe)[0][2]
    assert params["locale"] == "en"
    assert params["allowed_payment_method_types"] == ["card", "alipay", "wechat_pay"]
    assert params["payment_method_options"] == {"wechat_pay": {"client": "web"}}
    assert any(i["price_data"]["product_data"]["name"].startswith("Shipping from") for i in params["line_items"])


def test_paying_again_reuses_the_open_session(app, client, fake_stripe):
    o = make_pending_order(app)
    log_in(client, o["buyer_id"])
    first, again = _pay(client, o["number"]), _pay(client, o["number"])
    assert first.headers["Location"] == again.headers["Location"]
    assert len(_creates(fake_stripe)) == 1 and len(fake_stripe.sessions) == 1


def test_double_click_on_pay_makes_one_session_and_one_order(app, fake_stripe):
    o = make_pending_order(app)
    clients = [app.test_client() for _ in range(2)]
    for c in clients:
        log_in(c, o["buyer_id"])
    results, barrier = [], threading.Barrier(2)

    def click(c):
        barrier.wait()
        results.append(_pay(c, o["number"]))

    threads = [threading.Thread(target=click, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert [r.status_code for r in results] == [302, 302]
    assert results[0].headers["Location"] == results[1].headers["Location"]
    assert len(fake_stripe.sessions) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1
        assert db.session.scalar(select(func.count()).select_from(CheckoutAttempt)) == 1


def _try_again_then_retry(app, client, fake_stripe, kind):
    o = make_pending_order(app, quantity=2, units=5)
    log_in(client, o["buyer_id"])
    fake_stripe.fail(kind, path="/v1/checkout/sessions")
    failed = client.get(f"/pay/{o['number']}", headers=EN, follow_redirects=True)
    assert failed.status_code == 200 and "please try again" in failed.get_data(as_text=True)
    with app.app_context():
        assert get_order(o["number"]).status == "pending_payment"
        assert units_left(o["variant_ids"][0]) == 3  # the reservation is kept
    retry = _pay(client, o["number"])
    assert retry.status_code == 302 and retry.headers["Location"].startswith(fake_stripe.url)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order).where(Order.buyer_id == o["buyer_id"])) == 1
    return o, [r[3] for r in _creates(fake_stripe)]


def test_response_lost_retry_sends_same_key_and_gets_the_session_already_made(app, client, fake_stripe):
    o, keys = _try_again_then_retry(app, client, fake_stripe, "lost")
    assert keys == [f"checkout-order-{o['order_id']}-attempt-1"] * 2
    assert len(fake_stripe.sessions) == 1  # Stripe made it once; the retry got the same one back


def test_timeout_reset_and_rate_limit_retry_with_the_same_key(app, client, fake_stripe):
    for kind in ("timeout", "reset", "429"):
        fake_stripe.requests.clear()
        o, keys = _try_again_then_retry(app, client, fake_stripe, kind)
        assert keys == [f"checkout-order-{o['order_id']}-attempt-1"] * 2, kind
    assert len(fake_stripe.sessions) == 3


def test_stripe_server_error_moves_to_the_next_attempt(app, client, fake_stripe):
    o, keys = _try_again_then_retry(app, client, fake_stripe, "500")
    # Stripe replays a 500 for its key, so the retry must use a new attempt
    assert keys == [f"checkout-order-{o['order_id']}-attempt-1", f"checkout-order-{o['order_id']}-attempt-2"]
    assert len(fake_stripe.sessions) == 1


def test_a_reservation_ending_within_30_minutes_is_extended_before_the_session(app, client, fake_stripe):
    o = make_pending_order(app)
    with app.app_context():
        db.session.execute(update(Order).values(expires_at=utcnow() + timedelta(minutes=10)))
        db.session.commit()
    log_in(client, o["buyer_id"])
    assert _pay(client, o["number"]).status_code == 302
    with app.app_context():
        expires = get_order(o["number"]).expires_at
    assert utcnow() + timedelta(minutes=34) < expires < utcnow() + timedelta(minutes=36)
    assert int(_creates(fake_stripe)[0][2]["expires_at"]) == int(expires.timestamp())


def test_session_expiry_is_capped_at_24_hours(app, client, fake_stripe):
    o = make_pending_order(app)
    with app.app_context():
        db.session.execute(update(Order).values(expires_at=utcnow() + timedelta(hours=48)))
        db.session.commit()
    log_in(client, o["buyer_id"])
    assert _pay(client, o["number"]).status_code == 302
    assert int(_creates(fake_stripe)[0][2]["expires_at"]) <= int((utcnow() + timedelta(hours=24)).timestamp())


def test_an_open_session_about_to_expire_is_expired_and_replaced(app, client, fake_stripe):
    o = make_pending_order(app)
    log_in(client, o["buyer_id"])
    first = _pay(client, o["number"]).headers["Location"]
    with app.app_context():
        soon = utcnow() + timedelta(minutes=3)
        db.session.execute(update(Order).values(expires_at=soon))
        db.session.execute(update(CheckoutAttempt).values(expires_at=soon))
        db.session.commit()
    second = _pay(client, o["number"]).headers["Location"]
    assert second != first
    old = first.rsplit("/", 1)[1]
    assert fake_stripe.sessions[old]["status"] == "expired"
    assert [r[3] for r in _creates(fake_stripe)][-1] == f"checkout-order-{o['order_id']}-attempt-2"


def test_stripe_stays_off_unless_both_keys_are_set(app, client, fake_stripe):
    app.config["STRIPE_WEBHOOK_SECRET"] = ""
    o = make_pending_order(app)
    log_in(client, o["buyer_id"])
    assert _pay(client, o["number"]).headers["Location"].endswith(f"/pay/{o['number']}/demo")
    assert client.post("/payments/stripe/webhook", data=b"{}").status_code == 404
    assert client.get(f"/pay/{o['number']}/return").status_code == 404
    assert fake_stripe.requests == []


def test_stripe_is_called_with_no_transaction_open(app, client, fake_stripe, monkeypatch):
    from shop.payments import stripe_gateway

    seen = []
    real = stripe_gateway.create_checkout_session

    def watching(params, key):
        seen.append(db.session().in_transaction())  # a transaction here would hold the order's locks
        return real(params, key)

    monkeypatch.setattr(stripe_gateway, "create_checkout_session", watching)
    o = make_pending_order(app)
    with app.app_context():
        db.session.execute(update(Order).values(expires_at=utcnow() + timedelta(minutes=5)))  # needs extending
        db.session.commit()
    log_in(client, o["buyer_id"])
    assert _pay(client, o["number"]).status_code == 302
    assert seen == [False]


def test_a_failure_to_expire_the_replaced_session_does_not_stop_the_buyer(app, client, fake_stripe):
    o = make_pending_order(app)
    log_in(client, o["buyer_id"])
    first = _pay(client, o["number"]).headers["Location"]
    with app.app_context():
        db.session.execute(update(CheckoutAttempt).values(expires_at=utcnow() + timedelta(minutes=2)))
        db.session.commit()
    fake_stripe.fail("500", path="/v1/checkout/sessions/")
    second = _pay(client, o["number"])
    assert second.status_code == 302 and second.headers["Location"] != first
