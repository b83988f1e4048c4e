"""A UI review's findings, in a real Chromium at a 390 px phone and a 1280 px desktop: the buying path works
without JavaScript; the coop's and staff's tables fit a phone without hiding columns; every button a thumb presses
(the small text-like ones too) is at least 44 px tall; every form control has a label; the skip link leads to the
content; the top bar's log-out button lines up with the links beside it; headings and empty states."""
import re

import pytest
from playwright.sync_api import expect

from shop.extensions import db
from tests.browser.steps import sign_in
from tests.factories import make_address, make_product, make_user

PASSWORD = "ui-review-pass-26"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

# Tables that scroll sideways inside their box hide columns on a phone; so does a page wider than the screen.
HIDDEN_COLUMNS = """() => [...document.querySelectorAll('.table-wrap, table')]
  .filter(e => e.getClientRects().length && e.scrollWidth > e.clientWidth + 1)
  .map(e => (e.querySelector('th, td') || e).textContent.trim().slice(0, 40))"""
# Every visible button, including those drawn as a plain link ("Delete", "Remove", "Log out").
SHORT_BUTTONS = """() => [...document.querySelectorAll('button, .button, input[type=submit]')]
  .filter(e => e.getClientRects().length && e.getBoundingClientRect().height < 44)
  .map(e => e.outerHTML.slice(0, 100))"""
UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]):not([type=submit]), select, textarea')]
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
  .map(e => e.outerHTML.slice(0, 100))"""
HEADING_SKIPS = """() => {
  const hs = [...document.querySelectorAll('main h1, main h2, main h3, main h4')].map(h => +h.tagName[1]);
  return hs.filter((h, i) => i && h > hs[i - 1] + 1).length + (hs[0] === 1 ? 0 : 1); }"""


def _context(browser, live_server, viewport=PHONE, locale="en", javascript=True):
    context = browser.new_context(viewport=viewport, locale=locale, base_url=live_server,
                                  java_script_enabled=javascript)
    context.set_default_timeout(10_000)
    return context


def _problems(page, url: str) -> list[str]:
    page.goto(url)
    found = [f"{url}: hides a column: {t}" for t in page.evaluate(HIDDEN_COLUMNS)]
    found += [f"{url}: button under 44 px: {b}" for b in page.evaluate(SHORT_BUTTONS)]
    found += [f"{url}: no label: {i}" for i in page.evaluate(UNLABELLED)]
    if page.evaluate("document.documentElement.scrollWidth > innerWidth"):
        found.append(f"{url}: scrolls sideways")
    if page.evaluate(HEADING_SKIPS):
        found.append(f"{url}: a heading level is skipped")
    return found


@pytest.fixture()
def paid_out(app, monkeypatch):
    """A cooperative whose sale was shipped, delivered, settled and paid out; its manager and staff can sign in."""
    from shop.accounts.models import User
    from tests.payouts.payout_world import build

    world = build(app, monkeypatch, run=True)
    with app.app_context():
        for user_id, email in ((world.manager_id, "ui-coop@example.test"), (world.staff_id, "ui-staff@example.test"),
                               (world.buyer_id, "ui-buyer@example.test")):
            user = db.session.get(User, user_id)
            user.email = email
            user.set_password(PASSWORD)
        make_address(db.session.get(User, world.buyer_id))
        db.session.commit()
    return world


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_coop_and_staff_tables_fit_a_phone(paid_out, browser, live_server, locale):
    found = []
    for who, urls in (("coop", ["/coop/payouts", "/coop/shipments", "/coop/lots"]),
                      ("staff", ["/staff/payouts", "/staff/audit", "/staff/reports", "/staff/households"]),
                      ("buyer", ["/account", "/orders", "/products"])):
        context = _context(browser, live_server, locale=locale)
        page = context.new_page()
        sign_in(page, f"ui-{who}@example.test", PASSWORD)
        for url in urls:
            found += _problems(page, url)
        context.close()
    assert not found, "\n".join(found)


def test_a_payout_amount_is_money_in_chinese(paid_out, browser, live_server):
    context = _context(browser, live_server, viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    sign_in(page, "ui-coop@example.test", PASSWORD)
    page.goto("/coop/payouts")
    assert "金额" in page.locator("main").inner_text()  # "Amount" of a payout is money, not a quantity (数量)
    context.close()


def test_the_report_table_names_its_grouping(paid_out, browser, live_server):
    context = _context(browser, live_server, viewport=DESKTOP)
    page = context.new_page()
    sign_in(page, "ui-staff@example.test", PASSWORD)
    page.goto("/staff/reports?group=county")
    headers = page.locator("main table th").all_inner_texts()
    assert headers[0] == "County" and "Group by" not in headers
    context.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP])
def test_log_out_lines_up_with_the_menu_and_the_skip_link_leads_to_the_content(app, browser, live_server, viewport):
    with app.app_context():
        make_user("ui-nav@example.test", password=PASSWORD)
        db.session.commit()
    context = _context(browser, live_server, viewport=viewport)
    page = context.new_page()
    sign_in(page, "ui-nav@example.test", PASSWORD)
    page.goto("/products")
    link = page.locator(".nav a").last.bounding_box()
    button = page.locator(".nav-form button").bounding_box()
    assert button["height"] >= 44
    if abs(button["y"] - link["y"]) < 30:  # on the same line: the same middle
        assert abs((button["y"] + button["height"] / 2) - (link["y"] + link["height"] / 2)) <= 2
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    expect(skip).to_have_attribute("href", "#main")
    assert skip.is_visible()
    skip.press("Enter")
    assert page.evaluate("document.activeElement.id || document.activeElement.closest('main')?.id") == "main"
    context.close()


def test_the_buying_path_works_without_javascript(app, browser, live_server):
    with app.app_context():
        slug = make_product(units=5, price_fen=3200, name_zh="成县薄皮核桃", name_en="Cheng County Walnuts").slug
        make_user("ui-nojs@example.test", password=PASSWORD)
        db.session.commit()
    context = _context(browser, live_server, locale="en", javascript=False)
    page = context.new_page()
    page.goto("/products?q=walnuts")
    page.get_by_role("link", name="Cheng County Walnuts").first.click()
    expect(page).to_have_url(re.compile(rf"/products/{slug}$"))
    page.locator("form[action$='/cart/add'] input[name=quantity]").first.fill("2")
    page.locator("form[action$='/cart/add'] button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/cart$"))
    page.locator(".qty-form input[name=quantity]").fill("3")
    page.get_by_role("button", name="Update").click()
    expect(page.locator(".totals")).to_contain_text("¥96.00")
    page.get_by_role("link", name="Go to checkout").click()
    expect(page).to_have_url(re.compile(r"/account/login"))
    page.fill("input[name=email]", "ui-nojs@example.test")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form [type=submit]").click()
    expect(page).to_have_url(re.compile(r"/checkout$"))
    page.get_by_role("link", name="Add a new address").click()
    for name, value in (("recipient", "李四"), ("mobile", "13912345678"), ("province", "北京市"),
                        ("city", "北京市"), ("district", "朝阳区"), ("street", "建国路 88 号")):
        page.fill(f"input[name={name}]", value)
    page.locator("main form [type=submit]").last.click()
    expect(page).to_have_url(re.compile(r"/checkout$"))
    page.get_by_role("button", name="Place order").click()
    expect(page.locator(".demo-banner")).to_be_visible()
    page.get_by_role("button", name=re.compile("demo", re.I)).click()
    expect(page.locator(".badge").first).to_have_text("Paid")
    expect(page.locator("main")).to_contain_text("¥96.00")
    context.close()


def test_an_unpaid_order_does_not_say_its_parcel_is_being_prepared(app, browser, live_server):
    from tests.ledger.ledger_world import Walnuts, buy

    with app.app_context():
        world = Walnuts()
        buyer = make_user("ui-unpaid@example.test", password=PASSWORD)
        number = buy(buyer, (world.variant, 1), pay=False).number
        db.session.commit()
    context = _context(browser, live_server)
    page = context.new_page()
    sign_in(page, "ui-unpaid@example.test", PASSWORD)
    page.goto(f"/orders/{number}")
    expect(page.locator(".badge").first).to_have_text("Awaiting payment")
    expect(page.locator(".shipment .badge")).to_have_count(0)
    context.close()


def test_empty_checkout_and_error_pages_say_what_to_do(app, browser, live_server):
    with app.app_context():
        make_user("ui-empty@example.test", password=PASSWORD)
        db.session.commit()
    context = _context(browser, live_server)
    page = context.new_page()
    page.goto("/no-such-page")
    expect(page.locator("h1")).to_have_text("Page not found")
    expect(page).to_have_title(re.compile(r"^Page not found"))
    sign_in(page, "ui-empty@example.test", PASSWORD)
    page.goto("/checkout")
    page.get_by_role("link", name="Browse products").click()
    expect(page).to_have_url(re.compile(r"/products$"))
    page.goto("/staff")
    expect(page.locator("h1")).to_have_text("No access")
    context.close()


# Every message under a field is read out with that field: some control's aria-describedby names it (or a box
# around it), and every control marked invalid names messages that exist.
UNTIED_ERRORS = """() => {
  const named = new Set([...document.querySelectorAll('[aria-describedby]')]
    .flatMap(c => c.getAttribute('aria-describedby').split(/\\s+/)));
  const untied = [...document.querySelectorAll('main form .error:not(.form-error)')]
    .filter(e => e.getClientRects().length).filter(e => {
      for (let n = e; n && n.tagName !== 'FORM'; n = n.parentElement) if (n.id && named.has(n.id)) return false;
      return true; }).map(e => 'untied: ' + e.textContent.trim());
  const dangling = [...document.querySelectorAll('[aria-invalid=true]')].filter(c =>
    !(c.getAttribute('aria-describedby') || '').split(/\\s+/).some(id => id && document.getElementById(id)))
    .map(c => 'invalid without a message: ' + c.outerHTML.slice(0, 80));
  return untied.concat(dangling); }"""


def test_form_errors_are_tied_to_their_fields(paid_out, app, browser, live_server):
    from sqlalchemy import select

    from shop.orders.models import Order
    from shop.payouts.services import mark_payout_paid
    from tests.payouts.payout_world import payouts

    with app.app_context():
        payout_id = payouts()[0].id
        assert mark_payout_paid(payout_id, "BANK-REF-1")
        db.session.commit()
        number = db.session.scalars(select(Order.number)).first()
    context = _context(browser, live_server)
    page = context.new_page()
    sign_in(page, "ui-coop@example.test", PASSWORD)
    found = []

    page.goto("/coop/lots/new")  # a household chosen in a row, without how much it brought
    page.select_option("select[name=variant_id]", index=1)
    page.fill("input[name=amount]", "3")
    page.fill("input[name=harvested_on]", "2025-10-01")
    page.select_option("select[name='shares-0-household']", index=2)
    page.locator("main form [type=submit][name=submit]").click()
    expect(page.locator(".share-row .error").first).to_be_visible()
    found += page.evaluate(UNTIED_ERRORS)

    page.goto(f"/coop/payouts/{payout_id}")  # a handover without its date
    form = page.locator("form.handover-form").first
    form.locator("input[type=date]").fill("")
    form.locator("button[type=submit]").click()
    expect(page.locator("form.handover-form .error").first).to_be_visible()
    found += page.evaluate(UNTIED_ERRORS)
    context.close()

    context = _context(browser, live_server)
    page = context.new_page()
    sign_in(page, "ui-staff@example.test", PASSWORD)
    page.goto(f"/staff/orders/{number}")  # more units than a refund form takes
    page.check("input[name=mode][value=lines]")
    page.locator("input.qty").first.fill("10000")
    page.get_by_role("button", name="Refund now").click()
    expect(page.locator("input.qty[aria-invalid=true]")).to_have_count(1)
    found += page.evaluate(UNTIED_ERRORS)
    context.close()
    assert not found, "\n".join(found)


def test_a_long_tick_box_label_sits_beside_its_box_on_a_phone(paid_out, browser, live_server):
    context = _context(browser, live_server)
    page = context.new_page()
    sign_in(page, "ui-staff@example.test", PASSWORD)
    page.goto(f"/staff/households/{paid_out.household_ids[0]}")
    box = page.locator(".anonymise-form input[type=checkbox]").bounding_box()
    label = page.locator(".anonymise-form label").bounding_box()
    assert label["x"] > box["x"] + box["width"] and abs(label["y"] - box["y"]) < 12  # beside, not under it
    assert label["x"] + label["width"] <= PHONE["width"]
    context.close()
