"""Forgotten passwords: one answer for everyone, a mailed link that works once, for one hour."""
import re
import time

import pytest
from itsdangerous.timed import TimestampSigner

from shop.accounts.models import User
from shop.accounts.services import get_user_for_reset_token, make_reset_token
from shop.extensions import db
from tests.accounts.helpers import PASSWORD, create_user, log_in

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}
NEW_PASSWORD = "a-brand-new-pass-7"
SAME_ANSWER = "If an account exists for that email, we have sent it a link"



def reset_link(message) -> str:
    return re.search(r"http://localhost(/account/reset-password/\S+)", message.get_content()).group(1)


def forgot(client, email, headers=EN):
    return client.post("/account/forgot-password", data={"email": email}, headers=headers, follow_redirects=True)


def test_forgot_password_answers_the_same_for_unknown_emails(app, client, outbox):
    create_user(app, email="known@example.com")
    known = forgot(client, "Known@Example.com")
    unknown = forgot(client, "nobody@example.com")
    assert known.status_code == unknown.status_code == 200
    assert SAME_ANSWER in known.get_data(as_text=True)
    assert SAME_ANSWER in unknown.get_data(as_text=True)
    assert known.request.path == unknown.request.path == "/account/login"
    assert [m["To"] for m in outbox] == ["known@example.com"]


def test_reset_flow_end_to_end_and_the_link_works_once(app, client, outbox):
    user_id = create_user(app, email="known@example.com")
    forgot(client, "known@example.com")
    (message,) = outbox
    assert message["Subject"] == "Reset your password"
    link = reset_link(message)

    page = client.get(link, headers=EN)
    assert page.status_code == 200 and "Choose a new password" in page.get_data(as_text=True)
    resp = client.post(link, data={"password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert resp.status_code == 302 and resp.headers["Location"] == "/account"
    with client.session_transaction() as sess:
        assert sess["_user_id"].split(":")[0] == str(user_id)  # logged in
    with app.app_context():
        assert db.session.get(User, user_id).check_password(NEW_PASSWORD)

    # The password changed, so the same link is refused, for GET and POST alike.
    client.post("/account/logout")
    again = client.get(link, headers=EN)
    assert again.status_code == 400
    assert "This link does not work" in again.get_data(as_text=True)
    assert client.post(link, data={"password": "another-one-99", "password2": "another-one-99"}).status_code == 400
    assert log_in(client, email="known@example.com", password=NEW_PASSWORD).status_code == 302


def test_reset_link_stops_working_when_the_password_changes_elsewhere(app, client, outbox):
    create_user(app, email="known@example.com")
    forgot(client, "known@example.com")
    link = reset_link(outbox[0])
    log_in(client, email="known@example.com")
    client.post("/account/password", data={"current_password": PASSWORD, "password": NEW_PASSWORD,
                                           "password2": NEW_PASSWORD})
    assert client.get(link).status_code == 400


def test_reset_mail_is_in_the_buyers_language(app, client, outbox):
    create_user(app, email="known@example.com", display_name="小王")
    forgot(client, "known@example.com", headers=ZH)
    (message,) = outbox
    assert message["Subject"] == "重置密码"
    assert "小王" in message.get_content()
    assert "/account/reset-password/" in message.get_content()


def test_expired_token_is_refused(app, client, monkeypatch):
    user_id = create_user(app)
    with app.app_context():
        # Sign the token an hour and a second ago.
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 3601)
        token = make_reset_token(db.session.get(User, user_id))
        monkeypatch.undo()
    assert client.get(f"/account/reset-password/{token}").status_code == 400


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "x" * 3000, "%ff", "eyJ1aWQiOjF9.aaaa.bbbb"])
def test_garbage_token_gets_a_friendly_page(client, token):
    resp = client.get(f"/account/reset-password/{token}", headers=EN)
    assert resp.status_code == 400
    assert "Send me a new link" in resp.get_data(as_text=True)


def test_reset_password_form_checks_length_and_repeat(app, client, outbox):
    create_user(app, email="known@example.com")
    forgot(client, "known@example.com")
    link = reset_link(outbox[0])
    resp = client.post(link, data={"password": "short", "password2": "short"}, headers=EN)
    assert resp.status_code == 200
    assert 'id="password-err">The password needs 10 to 128 characters.' in resp.get_data(as_text=True)


def test_reset_token_service_rejects_other_salts_and_unknown_users(ctx):
    from flask import current_app
    from itsdangerous import URLSafeTimedSerializer

    from tests.factories import make_user

    user = make_user()
    assert get_user_for_reset_token(make_reset_token(user)) == user
    other_salt = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="other").dumps({"uid": user.id})
    assert get_user_for_reset_token(other_salt) is None
    token = make_reset_token(user)
    ctx.delete(user)
    ctx.flush()
    assert get_user_for_reset_token(token) is None


def test_forgot_password_survives_a_mail_server_that_is_down(app, client, outbox, monkeypatch):
    import shop.accounts.services

    def down(*args):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(shop.accounts.services, "send_mail", down)
    create_user(app, email="known@example.com")
    resp = forgot(client, "known@example.com")
    assert resp.status_code == 200 and SAME_ANSWER in resp.get_data(as_text=True)
