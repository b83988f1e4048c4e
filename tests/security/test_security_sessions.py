"""Signing out ends the session on the server: a session cookie copied before no longer opens the account."""
from shop.accounts.models import User
from shop.extensions import db
from tests.accounts.helpers import PASSWORD, create_user, log_in


def _signed_in_client(app):
    client = app.test_client()
    assert log_in(client).status_code == 302
    assert client.get("/account").status_code == 200
    return client


def _copy(app, client):
    """A second browser holding a copy of the client's session cookie, as a thief would."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def _is_signed_out(client) -> bool:
    resp = client.get("/account")
    return resp.status_code == 302 and "/account/login" in resp.headers["Location"]


def test_a_cookie_copied_before_logout_does_not_open_the_account_after(app):
    create_user(app)
    client = _signed_in_client(app)
    thief = _copy(app, client)
    assert thief.get("/account").status_code == 200  # the copy works while the session lives
    client.post("/account/logout")
    assert _is_signed_out(thief)
    assert _is_signed_out(client)


def test_sign_out_everywhere_ends_the_other_sessions_and_keeps_this_one(app):
    create_user(app)
    here, elsewhere = _signed_in_client(app), _signed_in_client(app)
    assert 'action="/account/sign-out-everywhere"' in here.get("/account").get_data(as_text=True)
    resp = here.post("/account/sign-out-everywhere", headers={"Accept-Language": "en"}, follow_redirects=True)
    assert "signed out on every other" in resp.get_data(as_text=True)
    assert _is_signed_out(elsewhere)
    assert here.get("/account").status_code == 200


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(app):
    create_user(app)
    here, elsewhere = _signed_in_client(app), _signed_in_client(app)
    resp = here.post("/account/password", data={"current_password": PASSWORD, "password": "another-pass-42",
                                                "password2": "another-pass-42"})
    assert resp.status_code == 302
    assert _is_signed_out(elsewhere)
    assert here.get("/account").status_code == 200


def test_a_deactivated_account_loses_its_open_sessions(app):
    user_id = create_user(app)
    client = _signed_in_client(app)
    with app.app_context():
        db.session.get(User, user_id).is_active_account = False
        db.session.commit()
    assert _is_signed_out(client)


def test_logout_raises_the_session_version_and_logging_in_again_works(app):
    user_id = create_user(app)
    client = _signed_in_client(app)
    client.post("/account/logout")
    with app.app_context():
        assert db.session.get(User, user_id).session_version == 1
    assert client.post("/account/logout").status_code == 302  # signed out already: nothing to end
    assert _signed_in_client(app).get("/account").status_code == 200
