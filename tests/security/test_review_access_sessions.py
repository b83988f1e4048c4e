"""Signing in starts a new CSRF secret: a session planted in the victim's browser before they sign in (session
fixation) leaves its planter holding form tokens that no longer work once the victim is signed in. Signing out
forgets what the account left in the session (the coop manager's last lot)."""
import re

import pytest

from tests.accounts.helpers import PASSWORD, create_user

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def csrf_app(make_app):
    return make_app(WTF_CSRF_ENABLED=True)


def _token(client, url="/account/login") -> str:
    return TOKEN.search(client.get(url).get_data(as_text=True)).group(1)


def _sign_in(client, email="buyer@example.test"):
    resp = client.post("/account/login", data={"csrf_token": _token(client), "email": email, "password": PASSWORD})
    assert resp.status_code == 302
    return resp


def test_a_token_issued_before_sign_in_is_refused_after_it(csrf_app):
    create_user(csrf_app)
    attacker, victim = csrf_app.test_client(), csrf_app.test_client()
    planted_token = _token(attacker)  # the attacker's own session, with its CSRF secret, and a token for it
    victim.set_cookie("session", attacker.get_cookie("session").value)  # planted in the victim's browser
    _sign_in(victim)
    assert victim.get("/account").status_code == 200
    forged = victim.post("/account/addresses/new", data={
        "csrf_token": planted_token, "recipient": "张三", "mobile": "13800000000", "province": "甘肃省",
        "city": "陇南市", "district": "武都区", "street": "东江镇1号"})
    assert forged.status_code == 400
    assert "东江镇1号" not in victim.get("/account").get_data(as_text=True)
    # The victim's own pages carry a token that works.
    own = victim.post("/account/sign-out-everywhere", data={"csrf_token": _token(victim, "/account")})
    assert own.status_code == 302


def test_the_token_of_the_signed_in_page_still_works_for_the_next_form(csrf_app):
    create_user(csrf_app)
    client = csrf_app.test_client()
    _sign_in(client)
    token = _token(client, "/account")
    assert client.post("/account/logout", data={"csrf_token": token}).status_code == 302


def test_signing_out_forgets_what_the_account_left_in_the_session_but_keeps_the_language(app):
    create_user(app)
    client = app.test_client()
    client.post("/account/login", data={"email": "buyer@example.test", "password": PASSWORD})
    client.get("/lang/en")
    with client.session_transaction() as sess:  # as lot_new leaves it for a coop manager
        sess["last_lot"] = {"variant_id": 7, "unit": "kg", "harvested_on": "2026-09-01"}
    client.post("/account/logout")
    with client.session_transaction() as sess:
        assert "last_lot" not in sess and "_user_id" not in sess
        assert sess.get("lang") == "en"
    assert "You are logged out." in client.get("/").get_data(as_text=True)  # the flash survives too
