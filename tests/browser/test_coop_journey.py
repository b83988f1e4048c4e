"""A cooperative manager's day on a phone: record a lot from three households, ship a paid order."""
import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from shop.accounts.models import User
from shop.catalog.models import Variant

from shop.checkout.services import new_checkout_token, place_order
from shop.extensions import db
from shop.payments.providers import DemoProvider
from tests.factories import make_address, make_cart, make_coop, make_household, make_product, make_user

PASSWORD = "a-long-password-1"


def _cooperative(app):
    with app.app_context():
        coop = make_coop(name_zh="成县核桃坪合作社", name_en="Hetaoping Walnut Co-op")
        manager = make_user(email="manager@example.com", password=PASSWORD, coop_id=coop.id)
        households = [make_household(coop) for _ in range(3)]
        product = make_product(coop=coop, units=0, price_fen=6800, name_zh="成县薄皮核桃",
                               name_en="Cheng County Thin-shell Walnuts")
        make_user(email="buyer@example.com", password=PASSWORD)
        db.session.commit()
        return manager.email, product.variants[0].id, [h.id for h in households]


def _log_in(page: Page, email: str):
    page.goto("/account/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    expect(page).not_to_have_url(re.compile(r"/account/login"))


def _buyer_places_and_pays(app, variant_id: int) -> str:
    """The buyer's side is driven through the same services the pages call, to keep the journey short."""
    with app.app_context():
        buyer = db.session.scalar(select(User).where(User.email == "buyer@example.com"))
        cart = make_cart(buyer, (db.session.get(Variant, variant_id), 2))
        order = place_order(buyer, cart, make_address(buyer), new_checkout_token(), "zh")
        DemoProvider().complete_demo(order)
        db.session.commit()
        return order.number


def test_manager_records_a_lot_from_three_households_and_ships_a_paid_order(app, page: Page, browser, live_server):
    manager_email, variant_id, households = _cooperative(app)
    _log_in(page, manager_email)
    page.get_by_role("link", name="我的合作社").click()
    page.get_by_role("link", name="供货批次").click()
    page.get_by_role("link", name="登记交售").click()

    page.select_option("select[name=variant_id]", str(variant_id))
    page.fill("input[name=amount]", "9")
    page.fill("input[name=harvested_on]", "2025-10-01")
    for i, household in enumerate(households):
        page.select_option(f"select[name=shares-{i}-household]", str(household))
        page.fill(f"input[name=shares-{i}-amount]", "3")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling on a phone
    page.get_by_role("button", name="登记批次并打印标签").click()
    expect(page).to_have_url(re.compile(r"/coop/lots/\d+/label$"))
    trace_code = page.locator(".trace-code").inner_text()
    assert re.fullmatch(r"LN-[A-Z0-9]+-\d{4}-\d{5}", trace_code)
    expect(page.locator(".lot-label")).to_contain_text("成县薄皮核桃")

    number = _buyer_places_and_pays(app, variant_id)

    page.goto("/coop/shipments")
    page.get_by_role("link", name=number).click()
    expect(page.locator(".packing-slip")).to_contain_text(trace_code)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.fill("input[name=carrier]", "中国邮政")
    page.fill("input[name=tracking_no]", "EMS9876543210")
    page.get_by_role("button", name="标记为已发货").click()
    expect(page.locator(".flash-success")).to_contain_text("运单号")
    page.goto("/coop/lots")
    expect(page.locator(".lot-remaining").first).to_have_text("7")

    buyer_context = browser.new_context(viewport={"width": 375, "height": 800}, locale="zh-CN", base_url=live_server)
    buyer = buyer_context.new_page()
    try:
        _log_in(buyer, "buyer@example.com")
        buyer.goto(f"/orders/{number}")
        expect(buyer.locator(".shipment")).to_contain_text("EMS9876543210")
        expect(buyer.locator(".shipment .badge")).to_have_text("已发货")
    finally:
        buyer_context.close()
