"""Review (life): a rejected cooperative is told it may apply again, so it can, under its own name."""
import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from shop.coops import services as svc
from shop.coops.models import Cooperative
from shop.extensions import db
from tests.coops.test_apply import _fields
from tests.factories import make_village


@pytest.fixture
def en(ctx):
    with force_locale("en"):
        yield ctx


def test_a_rejected_cooperative_applies_again_under_its_name(en):
    village = make_village()
    first = svc.apply_as_cooperative(**_fields(village.id))
    svc.reject_application(first, "营业执照照片看不清")
    again = svc.apply_as_cooperative(**_fields(village.id, contact_email="New@Example.com",
                                               registration_no="93621223MA71ABCD2Y"))
    assert again.id == first.id and again.status == "pending" and again.rejection_reason == ""
    assert (again.contact_email, again.registration_no) == ("new@example.com", "93621223MA71ABCD2Y")
    assert svc.list_applications() == [again]
    assert db.session.scalar(select(func.count()).select_from(Cooperative)) == 1
    svc.approve_cooperative(again)
    assert again.status == "approved"


def test_the_name_of_a_cooperative_applying_or_selling_is_still_taken(en):
    village = make_village()
    pending = svc.apply_as_cooperative(**_fields(village.id))
    with pytest.raises(svc.PortalError, match="already registered or has applied"):
        svc.apply_as_cooperative(**_fields(village.id, contact_email="other@example.com"))
    svc.approve_cooperative(pending)
    with pytest.raises(svc.PortalError, match="already registered or has applied"):
        svc.apply_as_cooperative(**_fields(village.id, contact_email="other@example.com"))
    assert pending.contact_email == "gastrodia@example.com"
