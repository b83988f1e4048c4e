"""Cooperatives propose registered-poor status; only staff confirm or decline it, and every look is logged."""
from sqlalchemy import select

from shop.extensions import db
from shop.households.models import Household, HouseholdAccessLog
from tests.factories import log_in, make_coop, make_household, make_user

EN = {"Accept-Language": "en"}


def _proposal(app):
    with app.app_context():
        coop = make_coop()
        household = make_household(coop)
        household.poor_status, household.poor_since_year = "proposed", 2015
        staff = make_user(is_staff=True)
        buyer = make_user()
        manager = make_user(coop_id=coop.id)
        db.session.commit()
        return household.id, household.head_name, staff.id, buyer.id, manager.id


def test_staff_see_proposals_and_the_look_is_logged(app, client):
    household_id, name, staff_id, _, _ = _proposal(app)
    log_in(client, staff_id)
    page = client.get("/staff/households/proposals", headers=EN).get_data(as_text=True)
    assert name in page
    with app.app_context():
        log = db.session.scalar(select(HouseholdAccessLog))
        assert (log.user_id, log.action, log.household_ids) == (staff_id, "view_poor_proposals", str(household_id))


def test_staff_confirm_once_and_the_change_is_logged(app, client):
    household_id, _, staff_id, _, _ = _proposal(app)
    log_in(client, staff_id)
    assert client.post(f"/staff/households/{household_id}/confirm").status_code == 302
    again = client.post(f"/staff/households/{household_id}/confirm", follow_redirects=True, headers=EN)
    assert "no proposal waiting" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Household, household_id).poor_status == "confirmed"
        actions = db.session.scalars(select(HouseholdAccessLog.action)).all()
        assert actions.count("confirm_poor") == 1


def test_staff_decline_clears_the_proposal(app, client):
    household_id, _, staff_id, _, _ = _proposal(app)
    log_in(client, staff_id)
    client.post(f"/staff/households/{household_id}/decline", data={"reason": "Not in the county registry"})
    with app.app_context():
        household = db.session.get(Household, household_id)
        assert (household.poor_status, household.poor_since_year) == ("none", None)
        assert household.poor_decline_reason == "Not in the county registry"


def test_buyers_and_coop_managers_cannot_see_or_decide(app, client):
    household_id, name, _, buyer_id, manager_id = _proposal(app)
    for user_id in (buyer_id, manager_id):
        log_in(client, user_id)
        assert client.get("/staff/households/proposals").status_code == 403
        assert client.post(f"/staff/households/{household_id}/confirm").status_code == 403
    with app.app_context():
        assert db.session.get(Household, household_id).poor_status == "proposed"
        assert db.session.scalar(select(HouseholdAccessLog)) is None
