"""Review (bad input): a staff refund posted without the page's token (its idempotency key) is refused as an
expired form and refunds nothing; it is never given a fresh key, with which the same post sent twice would
refund twice. Odd amounts are refused with the form's message."""
import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.payments.models import Refund
from shop.payments.providers import DemoProvider
from tests.factories import log_in, make_user
from tests.payments.conftest import get_order, make_pending_order

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh"}


def _demo_paid_order_and_staff(app, client):
    o = make_pending_order(app, quantity=2, units=5)
    with app.app_context():
        DemoProvider().complete_demo(get_order(o["number"]))
        staff = make_user(is_staff=True).id
        db.session.commit()
    log_in(client, staff)
    return o["number"]


def _refund_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Refund))


@pytest.mark.parametrize("token", [None, "", "   "])
def test_a_refund_without_the_pages_token_is_refused_and_refunds_nothing(app, client, token):
    number = _demo_paid_order_and_staff(app, client)
    form = {"mode": "amount", "amount": "1.00", "reason": "test"} | ({} if token is None else {"token": token})
    for _ in range(2):
        resp = client.post(f"/staff/orders/{number}/refund", data=form, headers=EN)
        assert resp.status_code == 400
        assert "The form expired. Please reload the page." in resp.get_data(as_text=True)
    assert _refund_count(app) == 0


@pytest.mark.parametrize("amount", ["12.345", "-0", "-1", "¥", "12元", "1e3", "١٢", "10" * 30, "0"])
def test_odd_refund_amounts_are_refused_with_a_message_in_the_staffs_language(app, client, amount):
    number = _demo_paid_order_and_staff(app, client)
    page = client.get(f"/staff/orders/{number}", headers=ZH).get_data(as_text=True)
    token = page.split('name="token" type="hidden" value="')[1].split('"')[0]
    resp = client.post(f"/staff/orders/{number}/refund", headers=ZH,
                       data={"token": token, "mode": "amount", "amount": amount, "reason": ""})
    assert resp.status_code == 400, amount
    body = resp.get_data(as_text=True)
    assert "Enter an amount" not in body and "flash-error" in body
    assert _refund_count(app) == 0
