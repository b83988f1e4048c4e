"""Review: a cooperative's public figures after a household left (and was anonymised)."""
from shop.extensions import db
from shop.households.services import anonymise_household
from shop.impact.services import coop_impact
from tests.factories import make_coop, make_household, make_user, make_village


def test_a_household_that_left_is_no_longer_counted_as_a_member_on_the_public_page(ctx):
    """DOMAIN.md: staff anonymise "a household that leaves". The coop page's "Member households" (and its
    registered-poor count and villages) still count it."""
    staff = make_user(is_staff=True)
    coop = make_coop()
    stayed = [make_household(coop, poor=True) for _ in range(3)]
    left = make_household(coop, poor=True)
    left.village_id = make_village().id
    db.session.flush()
    before = coop_impact(coop.id)
    assert before["households"] == 4 and before["registered_poor_households"] == 4
    assert anonymise_household(left.id, staff.id) is not None
    db.session.flush()
    after = coop_impact(coop.id)
    assert after["households"] == len(stayed) and after["registered_poor_households"] == len(stayed)
    assert len(after["villages"]) == 1
