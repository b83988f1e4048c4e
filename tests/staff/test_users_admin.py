"""Admins manage users (search, invite staff, roles, disable/enable, each audited) and read the settings;
plain staff, coop managers and buyers get 403 on every admin-only route."""
import re

from sqlalchemy import select

from shop.accounts.models import User
from shop.audit.models import AuditEvent
from shop.extensions import db
from tests.factories import log_in, make_coop, make_user

EN = {"Accept-Language": "en"}


def _people(app):
    with app.app_context():
        admin = make_user(email="boss@example.test", is_admin=True).id
        staff = make_user(email="clerk@example.test", is_staff=True).id
        buyer = make_user(email="buyer@example.test").id
        manager = make_user(email="mgr@example.test", coop_id=make_coop().id).id
        db.session.commit()
        return admin, staff, buyer, manager


def _events():
    return [(e.action, e.target, e.detail) for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_admin_only_routes_refuse_staff_managers_and_buyers(app, client):
    admin, staff, buyer, manager = _people(app)
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith(("/staff/users", "/staff/settings"))]
    assert {"staff.users", "staff.users_invite", "staff.user_roles", "staff.settings"} <= {r.endpoint for r in rules}
    for who in (staff, buyer, manager):
        log_in(client, who)
        for rule in rules:
            url = re.sub(r"<[^>]+>", str(admin), rule.rule)
            for method in sorted(rule.methods & {"GET", "POST"}):
                assert client.open(url, method=method).status_code == 403, (who, method, url)
    log_in(client, admin)
    assert client.get("/staff/users").status_code == 200 and client.get("/staff/settings").status_code == 200


def test_search_by_email_and_role(app, client):
    admin, *_ = _people(app)
    log_in(client, admin)

    def found(query):
        return set(re.findall(r"[a-z]+@example\.test", client.get(f"/staff/users?{query}", headers=EN)
                              .get_data(as_text=True).split("<table")[-1]))
    assert found("q=CLERK") == {"clerk@example.test"}
    assert found("role=coop_manager") == {"mgr@example.test"}
    assert found("role=buyer") == {"buyer@example.test"}
    assert "Please check the search." in client.get("/staff/users?role=king", headers=EN).get_data(as_text=True)


def test_invite_roles_disable_enable_are_audited_and_guarded(app, client):
    admin, staff, buyer, _manager = _people(app)
    log_in(client, admin)
    assert client.post("/staff/users/invite", data={"email": "New@Example.com", "display_name": "小李"}).status_code == 302
    assert client.post("/staff/users/invite", data={"email": "new@example.com", "display_name": "x"}).status_code == 400
    assert client.post(f"/staff/users/{buyer}/roles", data={"is_staff": "y"}).status_code == 302
    assert client.post(f"/staff/users/{admin}/roles", data={"is_staff": "y"}).status_code == 302  # refused: own role
    assert client.post(f"/staff/users/{admin}/disable").status_code == 302  # refused: self
    other = app.test_client()
    log_in(other, staff)
    assert other.get("/staff").status_code == 200
    assert client.post(f"/staff/users/{staff}/disable").status_code == 302
    assert other.get("/staff").status_code in (302, 303)  # the session is ended
    assert client.post(f"/staff/users/{staff}/enable").status_code == 302
    with app.app_context():
        new = db.session.scalar(select(User).where(User.email == "new@example.com"))
        assert new.is_staff and not new.is_admin
        assert db.session.get(User, buyer).is_staff and db.session.get(User, admin).is_admin
        assert db.session.get(User, staff).is_active
        assert _events() == [
            ("user_invited", f"user:{new.id}", "new@example.com as staff"),
            ("user_role_changed", f"user:{buyer}", "buyer@example.test: staff no→yes, admin no→no"),
            ("user_disabled", f"user:{staff}", "clerk@example.test"),
            ("user_enabled", f"user:{staff}", "clerk@example.test")]


def test_the_last_active_admin_cannot_be_demoted(app):
    from shop.accounts.services import RoleError, change_roles

    admin, staff, *_ = _people(app)
    with app.app_context():
        other = make_user(is_admin=True)
        change_roles(other, False, True, admin)  # may: another admin stays
        try:
            change_roles(db.session.get(User, admin), False, False, other.id)
        except RoleError:
            raise AssertionError("two admins: one may be demoted") from None
        try:
            change_roles(other, False, False, staff)
        except RoleError:
            pass
        else:
            raise AssertionError("the last active admin was demoted")


def test_settings_never_show_a_secret(app, client):
    admin, *_ = _people(app)
    app.config["STRIPE_SECRET_KEY"] = "sk_test_very_secret"
    try:
        log_in(client, admin)
        html = client.get("/staff/settings", headers=EN).get_data(as_text=True)
    finally:
        app.config["STRIPE_SECRET_KEY"] = ""
    assert "sk_test_very_secret" not in html and "configured" in html and "missing" in html
    from shop.money import format_fen

    assert "Refund window" in html and format_fen(app.config["PAYOUT_MINIMUM_FEN"]) in html


def test_the_menu_shows_users_and_settings_to_admins_only(app, client):
    admin, staff, *_ = _people(app)
    log_in(client, staff)
    html = client.get("/staff", headers=EN).get_data(as_text=True)
    assert "/staff/audit" in html and "/staff/users" not in html and "/staff/settings" not in html
    log_in(client, admin)
    html = client.get("/staff", headers=EN).get_data(as_text=True)
    assert "/staff/users" in html and "/staff/settings" in html
