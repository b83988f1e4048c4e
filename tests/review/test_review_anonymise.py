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
