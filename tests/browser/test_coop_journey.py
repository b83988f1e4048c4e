"""A cooperative manager's day on a phone: publish a product, record a lot from three households,\nand ship what a buyer ordered and paid for through the pages."""
import re

from playwright.sync_api import Page, expect

from shop.extensions import db
from tests.browser.test_coop_catalog import publish_new_product
from tests.browser.steps import sign_in
from tests.factories import make_address, make_category, make_coop, make_household, make_user

PASSWORD = "a-long-password-1"


def _cooperative(app):
    with app.app_context():
        coop = make_coop(name_zh="成县核桃坪合作社", name_en="Hetaoping Walnut Co-op")
        manager = make_user(email="manager@example.com", password=PASSWORD, coop_id=coop.id)
        households = [make_household(coop) for _ in range(3)]
        category = make_category()
        category.name_zh, category.name_en = "干果坚果", "Nuts and dried fruit"
        buyer = make_user(email="buyer@example.com", password=PASSWORD)
        make_address(buyer)
        db.session.commit()
        return manager.email, [h.id for h in households]


def _record_lot(page: Page, households: list[int]) -> str:
    page.get_by_role("link", name="我的合作社").click()
    page.get_by_role("link", name="供货批次").click()
    page.get_by_role("link", name="登记交售").click()
    page.select_option("select[name=variant_id]", index=1)
    page.fill("input[name=amount]", "9")
    page.fill("input[name=harvested_on]", "2025-10-01")
    for i, household in enumerate(households):
        page.select_option(f"select[name=shares-{i}-household]", str(household))
        page.fill(f"input[name=shares-{i}-amount]", "3")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling on a phone
    page.get_by_role("button", name="登记批次并打印标签").click()
    expect(page).to_have_url(re.compile(r"/coop/lots/\d+/label$"))
    expect(page.locator(".lot-label")).to_contain_text("成县薄皮核桃")
    trace_code = page.locator(".trace-code").inner_text()
    assert re.fullmatch(r"LN-[A-Z0-9]+-\d{4}-\d{5}", trace_code)
    return trace_code


def _buyer_orders_two_and_pays(buyer: Page) -> str:
    sign_in(buyer, "buyer@example.com", PASSWORD)
    buyer.goto("/products?q=薄皮核桃")
    buyer.get_by_text("成县薄皮核桃").first.click()
    buyer.locator("form[action$='/cart/add'] input[name=quantity]").first.fill("2")
    buyer.locator("form[action$='/cart/add'] button").first.click()
    buyer.get_by_role("link", name="去结算").click()
    buyer.get_by_role("button", name="提交订单").click()
    buyer.get_by_role("button", name=re.compile("演示")).click()
    expect(buyer.locator(".badge").first).to_have_text("已付款")
    return buyer.url.rsplit("/", 1)[1]


def test_manager_publishes_records_a_lot_from_three_households_and_ships_what_a_buyer_ordered(
        app, page: Page, browser, live_server):
    manager_email, households = _cooperative(app)
    sign_in(page, manager_email, PASSWORD)
    publish_new_product(page)
    trace_code = _record_lot(page, households)

    buyer_context = browser.new_context(viewport={"width": 375, "height": 800}, locale="zh-CN", base_url=live_server)
    buyer = buyer_context.new_page()
    try:
        number = _buyer_orders_two_and_pays(buyer)

        page.goto("/coop/shipments")
        page.get_by_role("link", name=number).click()
        expect(page.locator(".packing-slip")).to_contain_text(trace_code)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.select_option("select[name=carrier]", "ems")
        page.fill("input[name=tracking_no]", "1100 9876 54321")
        page.get_by_role("button", name="标记为已发货").click()
        expect(page.locator(".flash-success")).to_contain_text("运单号")
        page.goto("/coop/lots")
        expect(page.locator(".lot-remaining").first).to_have_text("7")

        buyer.goto(f"/orders/{number}")
        expect(buyer.locator(".shipment")).to_contain_text("中国邮政 EMS 1100987654321")
        expect(buyer.get_by_role("link", name="到快递公司网站查看物流")).to_have_attribute("href", re.compile("com=ems"))
        expect(buyer.locator(".shipment .badge")).to_have_text("已发货")
    finally:
        buyer_context.close()
