"""Review (bad input): a member household's "member since" date is a real day, from 2000 to today; year 1 or
9999 is refused next to the field and nothing is saved. A date on file is kept when other fields change."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from shop.extensions import db
from shop.households.models import Household
from tests.factories import log_in, make_coop, make_household, make_user

EN = {"Accept-Language": "en"}


def _manager_with_household(app, joined_on=date(2020, 1, 1)):
    with app.app_context():
        coop = make_coop()
        household = make_household(coop)
        household.joined_on = joined_on
        ids = make_user(coop_id=coop.id).id, household.id, coop.village_id
        db.session.commit()
    return ids


def _fields(village_id, joined_on, **kw):
    return {"head_name": "王某某", "village_id": str(village_id), "members_count": "4", "joined_on": joined_on,
            **kw}


def _joined(app, household_id):
    with app.app_context():
        return db.session.scalar(select(Household.joined_on).where(Household.id == household_id))


@pytest.mark.parametrize("joined", ["0001-01-01", "1999-12-31", "9999-12-31",
                                    (date.today() + timedelta(days=2)).isoformat()])
def test_an_odd_member_since_date_is_refused_next_to_the_field(app, client, joined):
    manager, household_id, village_id = _manager_with_household(app)
    log_in(client, manager)
    resp = client.post(f"/coop/members/{household_id}", headers=EN, data=_fields(village_id, joined))
    assert resp.status_code == 400
    assert "Enter a date from 2000-01-01 to today." in resp.get_data(as_text=True)
    assert _joined(app, household_id) == date(2020, 1, 1)
    new = client.post("/coop/members/new", headers=EN,
                      data=_fields(village_id, joined, registry_code="GSLN20990001"))
    assert new.status_code == 400 and "Enter a date from 2000-01-01 to today." in new.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Household.id).where(Household.head_name == "王某某")) is None


def test_an_old_date_on_file_does_not_stop_other_changes(app, client):
    manager, household_id, village_id = _manager_with_household(app, joined_on=date(1998, 5, 1))
    log_in(client, manager)
    resp = client.post(f"/coop/members/{household_id}", data=_fields(village_id, "1998-05-01"))
    assert resp.status_code == 302
    assert _joined(app, household_id) == date(1998, 5, 1)
