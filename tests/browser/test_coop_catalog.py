"""A cooperative manager, on a phone, lists a product with a variant and a photo, publishes it, and buyers see it."""
import io
import re

from PIL import Image
from playwright.sync_api import Page, expect

from shop.extensions import db
from tests.browser.steps import sign_in
from tests.factories import make_category, make_coop, make_user

PASSWORD = "demo-coop-2026"


def _demo_like_manager(app):
    with app.app_context():
        coop = make_coop(name_zh="成县核桃坪核桃专业合作社", name_en="Hetaoping Walnut Co-op")
        make_user(email="coop@demo.longnan.example", password=PASSWORD, coop_id=coop.id, locale="zh")
        category = make_category()
        category.name_zh, category.name_en = "干果坚果", "Nuts and dried fruit"
        db.session.commit()


def _photo_png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (150, 105, 60)).save(buf, "PNG")
    return buf.getvalue()


def publish_new_product(page: Page, sku: str = "cx-wal-1kg") -> None:
    """As a signed-in manager on a phone: create a product with a variant and a photo, and publish it."""
    page.goto("/coop")
    page.locator(".coop-menu").get_by_role("link", name="商品").click()
    page.get_by_role("link", name="添加商品").click()
    page.get_by_label("中文名称").fill("成县薄皮核桃")
    page.get_by_label("英文名称").fill("Cheng County Thin-shell Walnuts")
    page.get_by_label("分类").select_option(label="干果坚果")
    page.get_by_label("中文介绍").fill("皮薄仁满，手捏即开。")
    page.get_by_role("button", name="保存商品").click()
    expect(page.get_by_text("这个商品是草稿，顾客看不到。")).to_be_visible()

    page.get_by_role("link", name="添加规格").click()
    page.get_by_label("规格中文名称").fill("1 kg 礼盒")
    page.get_by_label("规格英文名称").fill("1 kg gift box")
    page.get_by_label("SKU（您的库存编码）").fill(sku)
    page.get_by_label("价格（元）").fill("68.00")
    page.get_by_label("净重（克）").fill("1000")
    page.get_by_role("button", name="保存规格").click()
    expect(page.locator("table")).to_contain_text(sku.upper())
    expect(page.locator("table")).to_contain_text("¥68.00")

    page.set_input_files("input[name=photo]", files=[{"name": "walnuts.png", "mimeType": "image/png",
                                                      "buffer": _photo_png()}])
    page.get_by_role("button", name="上传照片").click()
    expect(page.locator(".coop-photos img")).to_have_count(1)

    page.get_by_role("button", name="上架").click()
    expect(page.locator("h1 .badge")).to_have_text("已上架")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing wider than the phone


def test_manager_creates_and_publishes_a_product_that_buyers_then_see(app, page: Page):
    _demo_like_manager(app)
    sign_in(page, "coop@demo.longnan.example", PASSWORD)
    publish_new_product(page)

    page.goto("/products")
    expect(page.get_by_text("成县薄皮核桃").first).to_be_visible()
    page.get_by_text("成县薄皮核桃").first.click()
    expect(page).to_have_url(re.compile(r"/products/[a-z0-9-]+$"))
    expect(page.get_by_text("¥68.00").first).to_be_visible()
