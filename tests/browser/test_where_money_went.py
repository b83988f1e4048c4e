"""The buyer's whole trail, in a real Chromium at 375 px: pay for an order, open the receipt e-mail's link, the
order page, the trace page of the lot the walnuts came from, and the cooperative behind it. No household's
name appears on the way."""
import re

from playwright.sync_api import Page, expect

from shop.extensions import db
from tests.browser.steps import sign_in
from tests.factories import make_address, make_user
from tests.ledger.ledger_world import Walnuts

PASSWORD = "trail-pass-2026"


def test_from_the_receipt_mail_to_the_households_lot_and_their_cooperative(app, page: Page):
    with app.app_context():
        w = Walnuts(shares=(5, 3, 2))
        w.coop.story_zh = "我们在成县的山上种核桃。"
        names = [f"户主{i}号" for i in range(3)]
        for household, name in zip(w.households, names):
            household.head_name = name
        buyer = make_user("trail@example.test", password=PASSWORD)
        make_address(buyer)
        db.session.commit()
        slug, code, coop_slug = w.product.slug, w.lot.trace_code, w.coop.slug
    outbox = app.extensions.setdefault("outbox", [])
    outbox.clear()

    sign_in(page, "trail@example.test", PASSWORD)
    page.goto(f"/products/{slug}")
    expect(page.locator(f"a[href='/trace/{code}']").first).to_be_visible()  # the lot on sale, linked
    page.locator("form[action$='/cart/add'] button[type=submit]").first.click()
    page.goto("/checkout")
    page.get_by_role("button", name="提交订单").click()
    page.get_by_role("button", name=re.compile("演示")).click()
    expect(page.locator(".badge").first).to_have_text("已付款")

    receipts = [m for m in outbox if "付款凭证" in m["Subject"]]
    assert len(receipts) == 1 and receipts[0]["To"] == "trail@example.test"
    html = receipts[0].get_body(("html",)).get_content()
    assert "3 户" in html or "不到三户" in html  # what the order brings, and to how many households
    link = re.search(r'href="(http[^"]+/orders/[^"]+)"', html).group(1)

    page.goto(link)
    page.locator(f".line-lots a[href='/trace/{code}']").click()
    expect(page).to_have_url(re.compile(f"/trace/{code}$"))
    trace = page.content()
    assert "成县薄皮核桃" in trace and not any(name in trace for name in names)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.locator(f"a[href='/coops/{coop_slug}']").first.click()
    expect(page.get_by_text("我们在成县的山上种核桃。")).to_be_visible()
    assert not any(name in page.content() for name in names)
