"""Staff pages at 375 px: the registered-poor proposals fit the phone in both languages, buttons in reach."""
import pytest

from shop.extensions import db
from tests.browser.steps import sign_in
from tests.factories import make_coop, make_household, make_user


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_proposals_page_fits_a_phone_and_staff_confirm_with_a_thumb(app, page, locale):
    with app.app_context():
        coop = make_coop(name_en="Hetaoping Thin-Shell Walnut Cooperative, Cheng County")
        households = [make_household(coop) for _ in range(3)]
        for h in households:
            h.poor_status, h.poor_since_year = "proposed", 2015
        make_user("staff-phone@example.test", password="staff-pass-12", is_staff=True, locale=locale[:2])
        db.session.commit()
        first = households[0].id
    sign_in(page, "staff-phone@example.test", "staff-pass-12")
    page.goto("/staff/households/proposals")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling
    for decision in ("confirm", "decline"):
        box = page.locator(f"form[action$='/households/{first}/{decision}'] button").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375 and box["height"] >= 44
    page.locator(f"form[action$='/households/{first}/confirm'] button").click()
    assert page.locator(".flash-success").is_visible()
    with app.app_context():
        from shop.households.models import Household

        assert db.session.get(Household, first).poor_status == "confirmed"
