"""Member households: only the DOMAIN.md fields, masked codes and phones, poor status proposed by the
cooperative and confirmed by staff only."""
from datetime import date

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from shop.coops import services as svc
from shop.extensions import db
from shop.households.models import Household
from shop.households.services import decide_poor_status
from tests.factories import make_coop, make_household, make_user, make_village
from tests.factories import log_in as sign_in


@pytest.fixture
def en(ctx):
    """A service-test session whose messages are in English (outside a request the shop speaks Chinese)."""
    with force_locale("en"):
        yield ctx


def _fields(village_id, **kw):
    return {"head_name": "王某某", "village_id": village_id, "members_count": 5, "registry_code": "GSLN20150001",
            "phone": "13912345678", "joined_on": date(2021, 3, 1), "propose_poor": False, "poor_since_year": None,
            **kw}


def test_adding_a_household_proposes_poor_status_never_confirms_it(en):
    coop = make_coop()
    household = svc.add_member(coop, **_fields(coop.village_id, propose_poor=True, poor_since_year=2015))
    assert (household.coop_id, household.poor_status, household.poor_since_year) == (coop.id, "proposed", 2015)
    assert not household.is_registered_poor


def test_proposing_poor_status_needs_the_year(en):
    coop = make_coop()
    with pytest.raises(svc.PortalError) as refused:
        svc.add_member(coop, **_fields(coop.village_id, propose_poor=True))
    assert refused.value.field == "poor_since_year"


def test_staff_confirm_a_proposal_once_and_the_coop_cannot_undo_it(en):
    coop = make_coop()
    household = svc.add_member(coop, **_fields(coop.village_id, propose_poor=True, poor_since_year=2016))
    staff = make_user(is_staff=True)
    assert decide_poor_status(household.id, True, staff.id) is True
    assert decide_poor_status(household.id, True, staff.id) is False
    db.session.refresh(household)
    svc.update_member(household, clear_phone=False, **_fields(coop.village_id, registry_code=None, phone=None,
                                                               propose_poor=False))
    assert (household.poor_status, household.poor_since_year) == ("confirmed", 2016)


def test_a_household_never_proposed_cannot_be_confirmed(en):
    household = make_household(make_coop())
    assert decide_poor_status(household.id, True, make_user(is_staff=True).id) is False
    assert household.poor_status == "none"


def test_duplicate_registry_code_is_refused(en):
    other = make_household(make_coop())
    coop = make_coop()
    with pytest.raises(svc.PortalError, match="already on file") as refused:
        svc.add_member(coop, **_fields(coop.village_id, registry_code=other.registry_code))
    assert refused.value.field == "registry_code"


def test_blank_code_and_phone_keep_what_is_on_file_and_phone_can_be_removed(en):
    coop = make_coop()
    household = svc.add_member(coop, **_fields(coop.village_id))
    svc.update_member(household, clear_phone=False, **_fields(coop.village_id, registry_code=None, phone=None,
                                                               head_name="王二"))
    assert (household.head_name, household.registry_code, household.phone) == ("王二", "GSLN20150001",
                                                                                "13912345678")
    svc.update_member(household, clear_phone=True, **_fields(coop.village_id, registry_code=None, phone=None))
    assert household.phone is None


def test_members_list_only_the_cooperatives_households(en):
    coop, other = make_coop(), make_coop()
    mine = make_household(coop)
    make_household(other)
    assert svc.list_members(coop.id) == [mine]
    assert svc.get_member(coop.id, mine.id) is mine and svc.get_member(other.id, mine.id) is None


# --- views ----------------------------------------------------------------------------------------

def _manager(app):
    with app.app_context():
        coop = make_coop()
        manager = make_user(coop_id=coop.id)
        db.session.commit()
        return manager.id, coop.id, coop.village_id


def _form(village_id, **kw):
    return {"head_name": "李某", "village_id": str(village_id), "members_count": "4", "joined_on": "2022-05-01",
            "registry_code": "gsln-2016-0042", "phone": "139 1234 5678", **kw}


def test_manager_adds_a_household_and_sees_codes_masked(app, client):
    manager_id, coop_id, village_id = _manager(app)
    sign_in(client, manager_id)
    answer = client.post("/coop/members/new", data=_form(village_id, propose_poor="y", poor_since_year="2016"))
    assert answer.status_code == 302
    page = client.get("/coop/members").get_data(as_text=True)
    assert "李某" in page and "*********042" in page and "*******5678" in page
    assert "GSLN-2016-0042" not in page and "13912345678" not in page
    with app.app_context():
        household = db.session.scalar(select(Household))
        assert (household.registry_code, household.phone, household.poor_status) == (
            "GSLN-2016-0042", "13912345678", "proposed")
        household_id = household.id
    edit = client.get(f"/coop/members/{household_id}").get_data(as_text=True)
    assert "GSLN-2016-0042" not in edit and "13912345678" not in edit and "李某" in edit


def test_posting_confirmed_status_or_another_coop_changes_nothing(app, client):
    manager_id, coop_id, village_id = _manager(app)
    with app.app_context():
        other_id = make_coop().id
        db.session.commit()
    sign_in(client, manager_id)
    answer = client.post("/coop/members/new", data=_form(village_id, poor_status="confirmed", coop_id=str(other_id),
                                                         is_registered_poor="y"))
    assert answer.status_code == 302
    with app.app_context():
        household = db.session.scalar(select(Household))
        assert (household.coop_id, household.poor_status) == (coop_id, "none")


def test_bad_member_input_is_refused_next_to_the_fields(app, client):
    manager_id, _, village_id = _manager(app)
    sign_in(client, manager_id)
    answer = client.post("/coop/members/new", headers={"Accept-Language": "en"},
                         data=_form("999999", members_count="many", registry_code="", phone="12345",
                                    propose_poor="y", poor_since_year="1990"))
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    for message in ("Enter a number from 1 to 30.", "registry code.",
                    "11-digit mainland China mobile number", "Enter a year from 2000 to 2100.",
                    "Please choose a village from the list."):
        assert message in page
    assert "Not a valid" not in page
    with app.app_context():
        assert db.session.scalar(select(Household)) is None


def test_members_may_live_in_another_village(app, client):
    manager_id, _, _ = _manager(app)
    with app.app_context():
        village_id = make_village("宕昌县").id
        db.session.commit()
    sign_in(client, manager_id)
    assert client.post("/coop/members/new", data=_form(village_id)).status_code == 302


def test_a_duplicate_registry_code_that_slips_past_the_check_still_gets_the_clear_message(en, monkeypatch):
    taken = make_household(make_coop()).registry_code
    coop = make_coop()
    real_scalar = db.session.scalar
    monkeypatch.setattr(db.session, "scalar", lambda stmt: None if "registry_code" in str(stmt) else real_scalar(stmt))
    with pytest.raises(svc.PortalError, match="already on file"):
        svc.add_member(coop, **_fields(coop.village_id, registry_code=taken))
    monkeypatch.undo()
    assert len(svc.list_members(coop.id)) == 0  # the transaction is still usable
