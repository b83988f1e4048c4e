"""Every staff page that shows a household is logged (docs/DOMAIN.md, Privacy): the edit form shows the
head's name, village, size and status, so opening it, or getting it back with a mistake, is a logged look,
and so is a statement page answered with a bad period."""
from sqlalchemy import select

from shop.extensions import db
from shop.households.models import HouseholdAccessLog
from tests.factories import log_in, make_coop, make_household, make_user


def _setup(app):
    with app.app_context():
        staff = make_user(is_staff=True)
        household = make_household(make_coop())
        household.head_name = "王建国"
        db.session.commit()
        return staff.id, household.id


def _log(app) -> list[tuple[int, str, str]]:
    with app.app_context():
        return [(row.user_id, row.action, row.household_ids) for row in
                db.session.scalars(select(HouseholdAccessLog).order_by(HouseholdAccessLog.id))]


def test_opening_the_edit_form_is_a_logged_look(app, client):
    staff_id, household_id = _setup(app)
    log_in(client, staff_id)
    page = client.get(f"/staff/households/{household_id}/edit")
    assert page.status_code == 200 and "王建国" in page.get_data(as_text=True)
    assert _log(app) == [(staff_id, "view", str(household_id))]


def test_the_edit_form_given_back_with_a_mistake_is_a_logged_look(app, client):
    staff_id, household_id = _setup(app)
    log_in(client, staff_id)
    page = client.post(f"/staff/households/{household_id}/edit", data={"head_name": "", "members_count": "x"})
    assert page.status_code == 400
    assert [action for _user, action, _ids in _log(app)] == ["view"]


def test_a_statement_with_a_bad_period_is_a_logged_look(app, client):
    staff_id, household_id = _setup(app)
    log_in(client, staff_id)
    page = client.get(f"/staff/households/{household_id}/statement?from=2026-02-30")
    assert page.status_code == 400 and "王建国" in page.get_data(as_text=True)
    assert _log(app) == [(staff_id, "view", str(household_id))]
