"""`flask --app shop users make-admin`: how a new installation gets its first admin, who then sets a password
through the printed link and runs the back office."""
from urllib.parse import urlsplit

from sqlalchemy import func, select

from shop.accounts.models import User
from shop.audit.models import AuditEvent
from shop.extensions import db
from tests.factories import make_user

EN = {"Accept-Language": "en"}


def _make_admin(app, *args):
    return app.test_cli_runner().invoke(args=["users", "make-admin", *args])


def test_the_first_admin_is_made_on_an_empty_shop_and_sets_a_password_through_the_printed_link(app, client):
    result = _make_admin(app, " Boss@Example.COM ", "--name", "Boss")
    assert result.exit_code == 0, result.output
    assert "boss@example.com is a new admin." in result.output
    link = result.output.strip().splitlines()[-1]
    assert link.startswith("http") and "/reset-password/" in link

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "boss@example.com"))
        assert (user.is_admin, user.is_staff, user.is_active_account, user.display_name) == (True, True, True, "Boss")
        (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user_made_admin"))
        assert event.target == f"user:{user.id}"

    assert client.post("/account/login", data={"email": "boss@example.com", "password": "x" * 12},
                       headers=EN).status_code == 200  # nobody knows the password it was made with
    path = urlsplit(link).path
    page = client.post(path, data={"password": "a-new-admin-pass", "password2": "a-new-admin-pass"}, headers=EN)
    assert page.status_code == 302, page.get_data(as_text=True)
    assert client.get("/staff/users", headers=EN).status_code == 200
    assert client.get(path, headers=EN).status_code == 400  # the link works once: the password changed


def test_an_existing_login_is_promoted_keeping_its_password(app, client):
    with app.app_context():
        user_id = make_user(email="clerk@example.com", is_active_account=False).id
        db.session.commit()
    result = _make_admin(app, "clerk@example.com")
    assert result.exit_code == 0, result.output
    assert "clerk@example.com is now an admin." in result.output
    with app.app_context():
        user = db.session.get(User, user_id)
        assert (user.is_admin, user.is_staff, user.is_active_account) == (True, True, True)
        assert user.check_password("secret-pass-1")


def test_a_malformed_email_is_refused_and_nothing_is_made(app):
    result = _make_admin(app, "not-an-email")
    assert result.exit_code == 2
    assert "EMAIL" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0
