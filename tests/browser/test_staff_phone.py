"""Staff pages at 375 px: the registered-poor proposals fit the phone in both languages, buttons in reach."""
import pytest
from playwright.sync_api import expect

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
    expect(page.locator(".flash-success")).to_be_visible()  # waits for the POST, redirect and reload
    with app.app_context():
        from shop.households.models import Household

        assert db.session.get(Household, first).poor_status == "confirmed"


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_staff_find_a_household_by_village_open_last_quarters_statement_and_export_the_village(app, page, locale):
    """On a 375 px phone: the households page filtered by village, the household's statement for the last
    full quarter (its income equals the report's), then the income report grouped by village as Excel."""
    from io import BytesIO
    from pathlib import Path

    from openpyxl import load_workbook

    from shop.households.services import last_full_quarter
    from shop.reports.income import IncomeFilter, build_income_report
    from shop.types import today_local
    from tests.reports.income_world import add_households

    start, end = last_full_quarter(today_local())
    with app.app_context():
        coop = make_coop()
        household_id = add_households(coop.id, 2, settle_on=start)[0]
        from shop.households.models import Household

        household = db.session.get(Household, household_id)
        village_id, name = household.village_id, household.head_name
        income = build_income_report(IncomeFilter(start, end), "household").rows
        expected = next(r.income_fen for r in income if r.key == household_id)
        make_user("staff-journey@example.test", password="staff-pass-12", is_staff=True, locale=locale[:2])
        db.session.commit()
    assert expected > 0
    sign_in(page, "staff-journey@example.test", "staff-pass-12")
    page.goto("/staff/households")
    page.select_option("select[name=village]", str(village_id))
    with page.expect_navigation():
        page.locator("form.report-filter button[type=submit]").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    with page.expect_navigation():
        page.get_by_role("link", name=name).click()
    with page.expect_navigation():
        page.locator(f"form[action$='/households/{household_id}/statement'] button[type=submit]").click()
    assert f"/households/{household_id}/statement" in page.url
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert f"{expected / 100:,.2f}" in page.locator("main").inner_text()  # last quarter, by default

    page.goto(f"/staff/reports?start={start}&end={end}&group=village&village={village_id}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    with page.expect_download() as download:
        page.locator("a[href*='/staff/reports/income.xlsx']").click()
    sheet = load_workbook(BytesIO(Path(download.value.path()).read_bytes())).worksheets[0]
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row]
    with app.app_context():
        village_total = build_income_report(IncomeFilter(start, end, village_id=village_id), "village").total_fen
    assert village_total / 100 in values  # the village's income, a real number in yuan
