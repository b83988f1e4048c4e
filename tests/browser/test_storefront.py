"""Whole buying journeys in a real Chromium."""
import re

from playwright.sync_api import Page, expect

from shop.extensions import db
from tests.browser.steps import sign_in
from tests.factories import make_coop, make_product, make_user


def _shop(app, units=5):
    with app.app_context():
        walnuts = make_product(coop=make_coop(name_en="Hetaoping Walnut Co-op"), units=units, price_fen=6800,
                               name_zh="成县薄皮核桃", name_en="Cheng County Thin-shell Walnuts")
        pepper = make_product(coop=make_coop(name_en="Wudu Pepper Co-op"), units=units, price_fen=4500,
                              name_zh="武都大红袍花椒", name_en="Wudu Red Robe Sichuan Pepper")
        db.session.commit()
        return walnuts.slug, pepper.slug


def _add_to_cart(page: Page, slug: str, quantity: int = 1):
    page.goto(f"/products/{slug}")
    page.locator("form[action$='/cart/add'] input[name=quantity]").first.fill(str(quantity))
    page.locator("form[action$='/cart/add'] button[type=submit], form[action$='/cart/add'] input[type=submit]") \
        .first.click()


def test_guest_searches_buys_from_two_coops_registers_and_pays(app, page: Page):
    walnut_slug, pepper_slug = _shop(app)
    page.goto("/products?q=核桃")
    expect(page.get_by_text("成县薄皮核桃").first).to_be_visible()
    page.get_by_text("成县薄皮核桃").first.click()
    _add_to_cart(page, walnut_slug)
    page.goto("/products?q=pepper")
    expect(page.get_by_text("武都大红袍花椒").first).to_be_visible()
    _add_to_cart(page, pepper_slug, 2)
    expect(page).to_have_url(re.compile(r"/cart$"))
    expect(page.locator(".shipment-group")).to_have_count(2)

    page.goto("/account/register")
    page.fill("input[name=email]", "newbuyer@example.com")
    page.fill("input[name=display_name]", "新买家")
    page.fill("input[name=password]", "a-long-password-1")
    page.fill("input[name=password2]", "a-long-password-1")
    page.locator("form button[type=submit], form input[type=submit]").last.click()

    page.goto("/cart")
    expect(page.locator(".shipment-group")).to_have_count(2)  # the guest cart followed the buyer
    page.goto("/checkout")
    page.get_by_role("link", name="新增收货地址").click()
    for name, value in (("recipient", "李四"), ("mobile", "13912345678"), ("province", "北京市"),
                        ("city", "北京市"), ("district", "朝阳区"), ("street", "建国路 88 号")):
        page.fill(f"input[name={name}]", value)
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    expect(page).to_have_url(re.compile(r"/checkout$"))
    page.get_by_role("button", name="提交订单").click()
    expect(page.locator(".demo-banner")).to_be_visible()
    page.get_by_role("button", name=re.compile("演示")).click()
    expect(page.locator(".shipment")).to_have_count(2)
    expect(page.locator(".badge").first).to_have_text("已付款")


def test_switching_to_english_translates_the_whole_page(app, page: Page):
    walnut_slug, _ = _shop(app)
    for path in ("/", "/products", f"/products/{walnut_slug}", "/cart", "/account/login"):
        page.goto(path)
        page.get_by_role("link", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")  # the English page has loaded
        text = page.locator("body").inner_text()
        cjk = re.findall(r"[\u4e00-\u9fff]+", text.replace("中文", ""))
        assert cjk == [], f"{path}: {cjk}"
        page.get_by_role("link", name="中文").click()
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")


def test_buyer_asking_for_more_than_is_left_is_told_so(app, page: Page):
    walnut_slug, _ = _shop(app, units=3)
    with app.app_context():
        make_user(email="buyer@example.com", password="a-long-password-1")
        db.session.commit()
    sign_in(page, "buyer@example.com", "a-long-password-1")
    _add_to_cart(page, walnut_slug, 5)
    expect(page.get_by_text("仅剩 3 件").first).to_be_visible()


def test_public_pages_fit_a_phone_screen(app, page: Page):
    walnut_slug, _ = _shop(app)
    with app.app_context():
        from shop.coops.models import Cooperative
        from sqlalchemy import select

        coop_slug = db.session.scalar(select(Cooperative.slug))
    for path in ("/", "/products", f"/products/{walnut_slug}", "/coops", f"/coops/{coop_slug}", "/cart",
                 "/account/login", "/account/register", "/account/forgot-password", "/coop/apply", "/nope"):
        for lang in ("zh", "en"):
            page.goto(f"/lang/{lang}?next={path}")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, f"{path} ({lang}) is {width}px wide"
