"""Registering needs no proof of the e-mail address, so anyone may open an account under a cooperative's known
contact address before its application is approved. Approval must not hand that account the cooperative with
the password its registrant chose: the manager role goes to whoever holds the mailbox, through the invitation
link (the password is replaced and every session of the account ends)."""
import re

from shop.accounts.models import User
from shop.coops import services as svc
from shop.extensions import db
from tests.accounts.helpers import PASSWORD, create_user, log_in
from tests.factories import log_in as sign_in
from tests.factories import make_user, make_village

CONTACT = "gastrodia@example.com"
FIELDS = {"name_zh": "宕昌县高山天麻专业合作社", "name_en": "Tanchang Highland Gastrodia Co-op", "contact_name": "赵某",
          "contact_phone": "13812345678", "contact_email": CONTACT, "products_summary": "天麻、猪苓",
          "registration_no": "93621223MA71ABCD1X"}


def _application(app) -> tuple[int, int]:
    with app.app_context():
        staff = make_user(is_staff=True)
        coop = svc.apply_as_cooperative(village_id=make_village().id, **FIELDS)
        db.session.commit()
        return staff.id, coop.id


def test_an_account_opened_under_the_contact_address_does_not_get_the_cooperative(app, outbox):
    squatter = app.test_client()
    create_user(app, email=CONTACT)  # registered by someone who guessed the address
    assert log_in(squatter, email=CONTACT).status_code == 302
    staff_id, coop_id = _application(app)
    staff = app.test_client()
    sign_in(staff, staff_id)
    assert staff.post(f"/staff/applications/{coop_id}/approve").status_code == 302

    # The session opened before approval has ended, and the registrant's password no longer opens the account.
    assert squatter.get("/coop").status_code == 302
    assert log_in(app.test_client(), email=CONTACT).status_code == 200  # the login form again: refused
    with app.app_context():
        user = db.session.query(User).filter_by(email=CONTACT).one()
        assert user.coop_id == coop_id and not user.check_password(PASSWORD)

    # The mailbox's holder sets a password through the invitation and manages the cooperative.
    link = re.search(r"http://localhost(/account/reset-password/\S+)", outbox[-1].get_content()).group(1)
    owner = app.test_client()
    assert owner.post(link, data={"password": "walnut-trees-2026", "password2": "walnut-trees-2026"}).status_code == 302
    assert owner.get("/coop").status_code == 200
