"""Review: what is left of a household after staff anonymise it."""
from sqlalchemy import select

from shop.audit.models import AuditEvent
from shop.extensions import db
from shop.households.services import anonymise_household, decide_poor_status
from tests.factories import make_coop, make_household, make_user


def test_an_anonymised_households_decline_reason_is_not_kept_in_the_audit_trail(ctx):
    """anonymise_household clears poor_decline_reason, but decide_poor_status copied that reason into the
    audit event's detail, where it stays (staff write things like the head's name or circumstances)."""
    staff = make_user(is_staff=True)
    household = make_household(make_coop())
    household.poor_status, household.poor_since_year = "proposed", 2016
    db.session.flush()
    reason = f"{household.head_name}的儿子在兰州工作，收入超过标准"
    assert decide_poor_status(household.id, False, staff.id, reason)
    assert anonymise_household(household.id, staff.id) is not None
    db.session.commit()
    details = db.session.scalars(select(AuditEvent.detail)).all()
    assert [d for d in details if reason in d] == []


def _member_values(household, **changes):
    values = dict(head_name="张三", village_id=household.village_id, members_count=household.members_count,
                  registry_code="LN999999999999", phone="13900002222", clear_phone=False,
                  joined_on=household.joined_on, propose_poor=False, poor_since_year=None)
    return values | changes


def test_a_manager_saving_a_member_while_staff_anonymise_it_does_not_restore_its_identity(app, needs_postgres):
    """member_edit checks is_anonymised on the household it loaded; if staff anonymise it between that check
    and the manager's commit, update_member writes the name, registry code and phone back over the erasure."""
    from shop.coops.services import PortalError, get_member, update_member
    from shop.households.models import Household

    with app.app_context():
        staff = make_user(is_staff=True)
        household = make_household(make_coop())
        db.session.commit()
        staff_id, household_id, coop_id = staff.id, household.id, household.coop_id
    with app.app_context():  # the manager's POST
        member = get_member(coop_id, household_id)
        assert not member.is_anonymised
        with app.app_context():  # staff anonymise it meanwhile
            assert anonymise_household(household_id, staff_id) is not None
            db.session.commit()
        try:
            update_member(member, **_member_values(member))
            db.session.commit()
        except PortalError:
            db.session.rollback()
    with app.app_context():
        after = db.session.get(Household, household_id)
        assert (after.head_name, after.registry_code, after.phone) == (after.pseudonym, "", None)


def test_staff_editing_a_household_while_another_anonymises_it_does_not_restore_its_identity(app, needs_postgres):
    from shop.households.models import Household
    from shop.households.services import HouseholdError, edit_household, get_household

    with app.app_context():
        staff = make_user(is_staff=True)
        household = make_household(make_coop())
        db.session.commit()
        staff_id, household_id = staff.id, household.id
    with app.app_context():
        found = get_household(household_id)
        values = dict(head_name="张三", village_id=found.village_id, members_count=found.members_count,
                      phone="13900002222", registry_code="LN999999999999", poor_since_year=found.poor_since_year)
        with app.app_context():
            assert anonymise_household(household_id, staff_id) is not None
            db.session.commit()
        try:
            edit_household(found, staff_id, **values)
            db.session.commit()
        except HouseholdError:
            db.session.rollback()
    with app.app_context():
        after = db.session.get(Household, household_id)
        assert (after.head_name, after.registry_code, after.phone) == (after.pseudonym, "", None)


def test_two_staff_anonymising_at_once_anonymise_once(app, needs_postgres):
    """The view loads the household (get_household) and keeps it; anonymise_household then locks the row FOR
    UPDATE, but the ORM hands back the object already in the session, as read before the other staff member's
    commit: "not anonymised", so it is anonymised again (a second audit event and access log line, a new
    anonymised_at, a success message) instead of "This household was already anonymised"."""
    from shop.households.models import Household
    from shop.households.services import get_household

    with app.app_context():
        staff_a, staff_b = make_user(is_staff=True), make_user(is_staff=True)
        household_id = make_household(make_coop()).id
        db.session.commit()
        ids = (staff_a.id, staff_b.id)
    with app.app_context():  # staff A's request
        found = get_household(household_id)
        with app.app_context():  # staff B's request, a moment earlier at the lock
            assert anonymise_household(household_id, ids[1]) is not None
            db.session.commit()
            first = db.session.get(Household, household_id).anonymised_at
        result = anonymise_household(found.id, ids[0])
        db.session.commit()
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "household_anonymised")).all()
        assert result is None and len(events) == 1
        assert db.session.get(Household, household_id).anonymised_at == first
