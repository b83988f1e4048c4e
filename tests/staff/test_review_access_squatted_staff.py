"""Registering needs no proof of the e-mail address, and inviting an address that already has an account tells
the admin to give that account the role instead. So an account opened under a future colleague's address must
not enter the back office with the password its registrant chose: granting staff or admin to an account that
had neither replaces its password, ends its sessions and mails the address the invitation link."""
import re

from shop.accounts.models import User
from shop.extensions import db
from tests.accounts.helpers import PASSWORD, create_user, log_in
from tests.factories import log_in as sign_in
from tests.factories import make_user

EN = {"Accept-Language": "en"}
ADDRESS = "new.clerk@county.example"


def test_granting_staff_to_an_existing_account_goes_through_the_invitation(app, outbox):
    squatter = app.test_client()
    user_id = create_user(app, email=ADDRESS)  # registered by someone who guessed the address
    assert log_in(squatter, email=ADDRESS).status_code == 302
    with app.app_context():
        admin_id = make_user(is_admin=True).id
        db.session.commit()
    admin = app.test_client()
    sign_in(admin, admin_id)
    refused = admin.post("/staff/users/invite", data={"email": ADDRESS, "display_name": "小李"}, headers=EN)
    assert "change its roles in the list instead" in refused.get_data(as_text=True)
    answer = admin.post(f"/staff/users/{user_id}/roles", data={"is_staff": "y"}, headers=EN, follow_redirects=True)
    assert "The roles are saved." in answer.get_data(as_text=True)
    assert ADDRESS in answer.get_data(as_text=True)  # the flash says who was mailed the link

    assert squatter.get("/staff").status_code == 302  # the session opened before has ended
    assert log_in(app.test_client(), email=ADDRESS).status_code == 200  # the chosen password opens nothing
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user.is_staff and not user.check_password(PASSWORD)

    (mail,) = [m for m in outbox if m["To"] == ADDRESS]
    link = re.search(r"http://localhost(/account/reset-password/\S+)", mail.get_content()).group(1)
    colleague = app.test_client()
    assert colleague.post(link, data={"password": "county-office-2026", "password2": "county-office-2026"}
                          ).status_code == 302
    assert colleague.get("/staff").status_code == 200


def test_changing_the_roles_of_someone_already_in_the_back_office_keeps_their_password(app, outbox):
    user_id = create_user(app, email=ADDRESS, is_staff=True)
    with app.app_context():
        admin_id = make_user(is_admin=True).id
        db.session.commit()
    admin = app.test_client()
    sign_in(admin, admin_id)
    assert admin.post(f"/staff/users/{user_id}/roles", data={"is_staff": "y", "is_admin": "y"}).status_code == 302
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user.is_admin and user.check_password(PASSWORD)
    assert [m for m in outbox if m["To"] == ADDRESS] == []
