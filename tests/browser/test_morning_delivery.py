"""On a phone, with a thumb and with the keyboard: a manager records a morning's delivery from twelve member
households, sees the running total, corrects the one share that was wrong, and prints the label; a buyer
completes the buying path with the keyboard alone."""
import re

from playwright.sync_api import Page, expect

from shop.extensions import db
from shop.supply.models import LotShare, SupplyLot
from tests.browser.steps import sign_in
from tests.factories import make_address, make_household, make_user
from tests.ledger.ledger_world import Walnuts

PASSWORD = "morning-pass-2026"


def _tab_to(page: Page, selector: str, presses: int = 120) -> None:
    """Press Tab until the element matching the selector has the focus, as a keyboard user would."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def _enter(page: Page) -> None:
    """Press Enter on the focused link or button and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_twelve_households_one_correction_and_the_label_printed(app, page: Page):
    with app.app_context():
        w = Walnuts()
        households = w.households + [make_household(w.coop) for _ in range(9)]
        manager = db.session.get(type(w.manager), w.manager.id)
        manager.email = "morning@example.test"
        manager.set_password(PASSWORD)
        db.session.commit()
        ids = [h.id for h in households]
    sign_in(page, "morning@example.test", PASSWORD)
    page.goto("/coop/lots/new")
    page.select_option("select[name=variant_id]", index=1)
    page.fill("input[name=amount]", "60")
    page.fill("input[name=harvested_on]", "2026-09-28")
    for _ in range(2):  # five rows at first, five more each time
        page.locator("[data-add-rows]").click()
    expect(page.locator("[data-share-row]")).to_have_count(15)
    for i, household in enumerate(ids):
        page.select_option(f"select[name=shares-{i}-household]", str(household))
        page.fill(f"input[name=shares-{i}-amount]", "4" if i == 7 else "5")  # one share typed wrong
    total = page.locator("[data-share-total]")
    expect(total).to_have_class(re.compile("share-short"))
    expect(total).to_contain_text("59")
    page.fill("input[name=shares-7-amount]", "5")  # the correction
    expect(total).to_have_class(re.compile("share-match"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.locator(".form-actions button, .form-actions input[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/coop/lots/\d+/label$"))

    page.evaluate("window.print = () => { window.printed = true; }")
    page.locator("[data-print]").click()
    assert page.evaluate("window.printed === true")
    assert page.pdf(format="A6")[:4] == b"%PDF"
    with app.app_context():
        lot = db.session.scalars(db.select(SupplyLot).order_by(SupplyLot.id.desc())).first()
        shares = {s.household_id: s.units for s in db.session.scalars(db.select(LotShare).where(
            LotShare.lot_id == lot.id))}
        assert lot.units_received == 60 and shares == {i: 5 for i in ids}


def test_a_buyer_orders_and_pays_with_the_keyboard_alone(app, page: Page):
    with app.app_context():
        w = Walnuts()
        buyer = make_user("keys@example.test", password=PASSWORD)
        make_address(buyer)
        db.session.commit()
        slug = w.product.slug
    sign_in(page, "keys@example.test", PASSWORD)
    page.goto(f"/products/{slug}")
    _tab_to(page, "form[action$='/cart/add'] button[type=submit]")
    _enter(page)
    expect(page).to_have_url(re.compile(r"/cart$"))
    _tab_to(page, "a[href$='/checkout']")
    _enter(page)
    expect(page).to_have_url(re.compile(r"/checkout$"))
    _tab_to(page, "form[action$='/checkout'] button[type=submit]")
    _enter(page)
    _tab_to(page, "form[action$='/demo'] button[type=submit]")
    _enter(page)
    expect(page.locator(".badge").first).to_have_text("已付款")
