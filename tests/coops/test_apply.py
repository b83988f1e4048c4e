"""Applying as a cooperative, and staff approving (the manager is invited) or rejecting with a reason."""
import re

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from shop.accounts.models import User
from shop.coops import services as svc
from shop.coops.models import Cooperative
from shop.extensions import db
from tests.factories import make_user, make_village
from tests.factories import log_in as sign_in


@pytest.fixture
def en(ctx):
    """A service-test session whose messages are in English (outside a request the shop speaks Chinese)."""
    with force_locale("en"):
        yield ctx


def _fields(village_id, **kw):
    return {"name_zh": "宕昌县高山天麻专业合作社", "name_en": "Tanchang Highland Gastrodia Co-op",
            "village_id": village_id, "contact_name": "赵某", "contact_phone": "13812345678",
            "contact_email": "Gastrodia@Example.com", "products_summary": "天麻、猪苓",
            "registration_no": "93621223MA71ABCD1X", **kw}


def _outbox(app):
    return app.extensions.setdefault("outbox", [])


# --- services ---------------------------------------------------------------------------------

def test_an_application_is_a_pending_cooperative(en):
    coop = svc.apply_as_cooperative(**_fields(make_village().id))
    assert (coop.status, coop.contact_email, coop.approved_at) == ("pending", "gastrodia@example.com", None)
    assert coop.slug == "tanchang-highland-gastrodia-co-op" and not coop.can_sell
    assert svc.list_applications() == [coop]


def test_the_same_chinese_name_cannot_apply_twice(en):
    village = make_village()
    svc.apply_as_cooperative(**_fields(village.id))
    with pytest.raises(svc.PortalError) as refused:
        svc.apply_as_cooperative(**_fields(village.id, name_en="Tanchang Highland Gastrodia Co-op"))
    assert refused.value.field == "name_zh"


def test_approval_creates_the_manager_and_invites_them(app, en):
    coop = svc.apply_as_cooperative(**_fields(make_village().id))
    with app.test_request_context():
        manager = svc.approve_cooperative(coop)
        assert (coop.status, manager.coop_id, manager.email) == ("approved", coop.id, "gastrodia@example.com")
        assert coop.approved_at is not None and not manager.check_password("")
        assert svc.send_manager_invitation(coop, manager)
    mail = _outbox(app)[-1]
    assert mail["To"] == "gastrodia@example.com"
    assert "/account/reset-password/" in mail.get_content()
    assert "is approved" in mail.get_content() and "已获准入驻" in mail.get_content()


def test_approval_links_an_existing_account_of_that_email(en):
    existing = make_user(email="gastrodia@example.com")
    coop = svc.apply_as_cooperative(**_fields(make_village().id))
    assert svc.approve_cooperative(coop) is existing and existing.coop_id == coop.id
    assert db.session.scalar(select(db.func.count()).select_from(User)) == 1


def test_an_account_managing_another_coop_is_not_taken_over(en):
    first = svc.apply_as_cooperative(**_fields(make_village().id))
    svc.approve_cooperative(first)
    second = svc.apply_as_cooperative(**_fields(make_village().id, name_zh="另一个合作社"))
    with pytest.raises(svc.PortalError, match="already manages"):
        svc.approve_cooperative(second)
    assert second.status == "pending"


def test_an_application_is_decided_once(en):
    coop = svc.apply_as_cooperative(**_fields(make_village().id))
    svc.reject_application(coop, "营业执照照片看不清")
    assert (coop.status, coop.rejection_reason) == ("rejected", "营业执照照片看不清")
    with pytest.raises(svc.PortalError, match="already decided"):
        svc.approve_cooperative(coop)
    with pytest.raises(svc.PortalError, match="already decided"):
        svc.reject_application(coop, "again")


# --- views ----------------------------------------------------------------------------------------

def test_anyone_can_apply_through_the_public_form(app, client):
    with app.app_context():
        village_id = make_village().id
        db.session.commit()
    assert client.get("/coop/apply").status_code == 200
    data = _fields(village_id, contact_phone="138-1234-5678", status="approved", commission_bp="0",
                   slug="taken-over")
    answer = client.post("/coop/apply", data=data)
    assert answer.status_code == 200 and "gastrodia@example.com" in answer.get_data(as_text=True)
    with app.app_context():
        coop = db.session.scalar(select(Cooperative))
        assert (coop.status, coop.commission_bp, coop.contact_phone) == ("pending", 500, "13812345678")
        assert coop.slug != "taken-over"


def test_bad_applications_are_refused_next_to_the_fields(app, client):
    answer = client.post("/coop/apply", headers={"Accept-Language": "en"},
                         data=_fields("12345", contact_email="not-an-email", registration_no="x"))
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    for message in ("Please choose a village from the list.", "valid email address",
                    "8 to 30 letters and digits"):
        assert message in page
    with app.app_context():
        assert db.session.scalar(select(Cooperative)) is None


def _staff_and_application(app):
    with app.app_context():
        staff = make_user(is_staff=True)
        coop = svc.apply_as_cooperative(**_fields(make_village().id))
        db.session.commit()
        return staff.id, coop.id


def test_staff_approve_and_the_invited_manager_sets_a_password(app, client):
    staff_id, coop_id = _staff_and_application(app)
    sign_in(client, staff_id)
    assert "宕昌县高山天麻专业合作社" in client.get("/staff/applications").get_data(as_text=True)
    answer = client.post(f"/staff/applications/{coop_id}/approve", follow_redirects=True)
    assert "gastrodia@example.com" in answer.get_data(as_text=True)  # the flash names the manager
    link = re.search(r"http://localhost(/account/reset-password/\S+)", _outbox(app)[-1].get_content()).group(1)
    assert "宕昌县高山天麻专业合作社" not in client.get("/staff/applications").get_data(as_text=True)  # flash shown

    manager = app.test_client()
    answer = manager.post(link, data={"password": "walnut-trees-2026", "password2": "walnut-trees-2026"})
    assert answer.status_code == 302
    assert manager.get("/coop").status_code == 200
    assert client.post(f"/staff/applications/{coop_id}/approve").status_code == 404  # decided already


def test_staff_reject_with_a_reason_that_is_stored_and_mailed(app, client):
    staff_id, coop_id = _staff_and_application(app)
    sign_in(client, staff_id)
    assert client.post(f"/staff/applications/{coop_id}/reject", data={"reason": ""}).status_code == 400
    answer = client.post(f"/staff/applications/{coop_id}/reject", data={"reason": "请上传清晰的营业执照"})
    assert answer.status_code == 302
    with app.app_context():
        coop = db.session.get(Cooperative, coop_id)
        assert (coop.status, coop.rejection_reason) == ("rejected", "请上传清晰的营业执照")
    mail = _outbox(app)[-1]
    assert mail["To"] == "gastrodia@example.com" and "请上传清晰的营业执照" in mail.get_content()


def test_application_pages_are_for_staff_only(app, client):
    _, coop_id = _staff_and_application(app)
    with app.app_context():
        buyer_id = make_user().id
        db.session.commit()
    sign_in(client, buyer_id)
    assert client.get("/staff/applications").status_code == 403
    assert client.post(f"/staff/applications/{coop_id}/approve").status_code == 403
    assert client.post(f"/staff/applications/{coop_id}/reject", data={"reason": "x"}).status_code == 403
    with app.app_context():
        assert db.session.get(Cooperative, coop_id).status == "pending"


def test_the_village_is_not_chosen_for_the_applicant(app, client):
    with app.app_context():
        village_id = make_village().id
        db.session.commit()
    page = client.get("/coop/apply", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<option selected value="">Choose the village…</option>' in page
    assert f'<option value="{village_id}">' in page  # the real village is there, not chosen
    for blank in ({"village_id": ""}, {}):
        data = {k: v for k, v in _fields(village_id).items() if k != "village_id"} | blank
        answer = client.post("/coop/apply", data=data, headers={"Accept-Language": "en"})
        assert answer.status_code == 400
        assert "Please choose a village from the list." in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Cooperative)) is None
