"""Stripe: the receipt goes once per payment, however often the webhook is replayed and whether the
return page or the webhook confirms it first; a failing mail server never fails the webhook."""
from flask_babel import force_locale
from flask_babel import gettext as _

from tests.factories import log_in
from tests.mail.conftest import text_of
from tests.payments.conftest import get_order, make_pending_order


def _receipts(app, outbox, number: str) -> list:
    with app.app_context(), force_locale("en"):
        subject = _("Receipt for your order %(number)s", number=number)
    return [m for m in outbox if m["Subject"] == subject]


def _open_session(app):
    o = make_pending_order(app, locale="en")
    client = app.test_client()
    log_in(client, o["buyer_id"])
    o["session_id"] = client.get(f"/pay/{o['number']}").headers["Location"].rsplit("/", 1)[1]
    return o, client


def test_a_replayed_webhook_sends_no_second_receipt(app, fake_stripe, outbox):
    o, _client = _open_session(app)
    event = fake_stripe.complete(o["session_id"])
    assert fake_stripe.deliver(event, times=3) == [200, 200, 200]
    (receipt,) = _receipts(app, outbox, o["number"])
    assert receipt["To"].startswith("user") and o["number"] in text_of(receipt)


def test_the_return_page_and_the_webhook_confirming_one_payment_send_one_receipt(app, fake_stripe, outbox):
    o, client = _open_session(app)
    event = fake_stripe.complete(o["session_id"])  # the webhook is held back
    for _ in range(2):
        assert client.get(f"/pay/{o['number']}/return?session_id={o['session_id']}").status_code == 200
    assert fake_stripe.deliver(event) == [200]
    assert len(_receipts(app, outbox, o["number"])) == 1


def test_a_mail_server_that_is_down_does_not_fail_the_webhook(app, fake_stripe, outbox, monkeypatch, caplog):
    from tests.mail.test_order_mails import _closed_port

    o, _client = _open_session(app)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", _closed_port())
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", False)
    assert fake_stripe.deliver(fake_stripe.complete(o["session_id"])) == [200]
    with app.app_context():
        assert get_order(o["number"]).status == "paid"
    assert f"paid mail for order {o['number']} not sent" in caplog.text
