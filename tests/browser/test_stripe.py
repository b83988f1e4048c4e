"""Paying through Stripe Checkout in a real Chromium: the local Stripe-compatible server's hosted page,
then back to the shop; abandoning first and paying on the second try; the order is paid exactly once."""
import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from shop.extensions import db
from shop.payments.models import Payment
from tests.browser.steps import sign_in
from tests.payments.conftest import fake_stripe, get_order, make_pending_order, stripe_server  # noqa: F401

PASSWORD = "a-long-password-1"


@pytest.fixture
def stripe_shop(app, fake_stripe, live_server):  # noqa: F811 - the fixtures imported above
    fake_stripe.webhook_target = f"{live_server}/payments/stripe/webhook"
    fake_stripe.delivery = "sync"  # Stripe calls the webhook before sending the buyer back
    return fake_stripe


def _buyer_with_order(app):
    o = make_pending_order(app, quantity=2, products=2)
    with app.app_context():
        from shop.accounts.models import User

        user = db.session.get(User, o["buyer_id"])
        user.set_password(PASSWORD)
        db.session.commit()
        o["email"] = user.email
    return o


@pytest.mark.browser
def test_buyer_abandons_then_pays_on_the_hosted_page_and_the_order_is_paid_once(app, page: Page, stripe_shop):
    o = _buyer_with_order(app)
    sign_in(page, o["email"], PASSWORD)
    page.goto(f"/orders/{o['number']}")
    page.get_by_role("link", name="立即付款").click()
    expect(page).to_have_url(re.compile(re.escape(stripe_shop.url) + r"/pay/cs_test_"))
    expect(page.get_by_role("heading", name="Fake Stripe Checkout")).to_be_visible()
    expect(page.locator("li")).to_have_count(4)  # two products and two shipping lines
    page.get_by_role("button", name="Cancel").click()

    expect(page).to_have_url(re.compile(rf"/pay/{o['number']}/return\?cancelled=1$"))
    expect(page.get_by_role("heading", name="尚未付款")).to_be_visible()
    page.get_by_role("link", name="立即付款").click()
    expect(page).to_have_url(re.compile(re.escape(stripe_shop.url) + r"/pay/cs_test_"))
    assert len(stripe_shop.sessions) == 1  # the open session was reused
    page.get_by_role("button", name=re.compile("Pay")).click()

    expect(page).to_have_url(re.compile(rf"/pay/{o['number']}/return\?session_id=cs_test_"))
    expect(page.get_by_role("heading", name="已收到付款，谢谢！")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="已收到付款，谢谢！")).to_be_visible()
    page.get_by_role("link", name="查看订单").click()
    expect(page).to_have_url(re.compile(rf"/orders/{o['number']}$"))
    expect(page.locator(".badge").first).to_have_text("已付款")
    with app.app_context():
        assert get_order(o["number"]).status == "paid"
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 1


@pytest.mark.browser
def test_payment_confirmed_by_the_return_page_when_the_webhook_is_late(app, page: Page, stripe_shop):
    stripe_shop.delivery = "hold"
    o = _buyer_with_order(app)
    sign_in(page, o["email"], PASSWORD)
    page.goto(f"/pay/{o['number']}")
    page.get_by_role("button", name=re.compile("Pay")).click()
    expect(page.get_by_role("heading", name="已收到付款，谢谢！")).to_be_visible()
    assert stripe_shop.deliver_outbox() == [200]  # the webhook arrives afterwards and changes nothing
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 1
