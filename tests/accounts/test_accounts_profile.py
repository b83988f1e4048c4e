"""The account page: name, language, password, and saved addresses that only their owner can touch."""
import re

import pytest
from sqlalchemy import select

from shop.accounts.models import Address, User
from shop.extensions import db
from tests.accounts.helpers import PASSWORD, create_user, log_in
from tests.factories import make_user

EN = {"Accept-Language": "en"}
ADDRESS = {"province": "甘肃省", "city": "陇南市", "district": "成县", "street": "城关镇建设路 12 号 3 单元",
           "recipient": "王芳", "mobile": "139 1234-5678"}


@pytest.fixture
def buyer(app, client):
    user_id = create_user(app)
    log_in(client)
    return user_id


def addresses_of(app, user_id):
    with app.app_context():
        return [(a.id, a.recipient, a.mobile, a.street)
                for a in db.session.scalars(select(Address).where(Address.user_id == user_id).order_by(Address.id))]


def other_users_address(app) -> int:
    with app.app_context():
        other = make_user(email="other@example.test")
        address = Address(user_id=other.id, **{**ADDRESS, "mobile": "13800000000"})
        db.session.add(address)
        db.session.commit()
        return address.id


def test_profile_needs_login(client):
    resp = client.get("/account")
    assert resp.status_code == 302 and resp.headers["Location"] == "/account/login?next=%2Faccount"


def test_profile_saves_name_and_language(app, client, buyer):
    resp = client.post("/account", data={"display_name": "  Zhang Wei ", "locale": "en"}, follow_redirects=True)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Your details are saved." in html and '<html lang="en">' in html
    with app.app_context():
        user = db.session.get(User, buyer)
        assert (user.display_name, user.locale) == ("Zhang Wei", "en")
    resp = client.post("/account", data={"display_name": "张伟", "locale": "zh"}, follow_redirects=True)
    assert '<html lang="zh-CN">' in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, buyer).locale == "zh"


def test_saved_language_is_used_on_the_next_login(app, client, buyer):
    client.post("/account", data={"display_name": "Zhang Wei", "locale": "en"})
    client.post("/account/logout")
    fresh = app.test_client()
    log_in(fresh)
    html = fresh.get("/account", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert '<html lang="en">' in html and "Your account" in html


def test_profile_refuses_unknown_language_and_overlong_name(app, client, buyer):
    resp = client.post("/account", data={"display_name": "x" * 61, "locale": "fr"}, headers=EN)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'id="display_name-err">Please use at most 60 characters.' in html
    assert 'id="locale-err">Please choose a language from the list.' in html
    with app.app_context():
        assert db.session.get(User, buyer).locale is None


def test_change_password_needs_the_current_one(app, client, buyer):
    resp = client.post("/account/password", headers=EN, data={
        "current_password": "not-my-password", "password": "new-password-123", "password2": "new-password-123"})
    assert 'id="current_password-err">That is not your current password.' in resp.get_data(as_text=True)
    resp = client.post("/account/password", data={
        "current_password": PASSWORD, "password": "new-password-123", "password2": "new-password-123"})
    assert resp.status_code == 302
    with app.app_context():
        assert db.session.get(User, buyer).check_password("new-password-123")


def test_add_edit_delete_an_address(app, client, buyer):
    resp = client.post("/account/addresses/new", data=ADDRESS)
    assert resp.status_code == 302 and resp.headers["Location"] == "/account"
    ((address_id, recipient, mobile, street),) = addresses_of(app, buyer)
    assert (recipient, mobile, street) == ("王芳", "13912345678", ADDRESS["street"])
    assert "甘肃省陇南市成县" in client.get("/account").get_data(as_text=True)

    page = client.get(f"/account/addresses/{address_id}/edit").get_data(as_text=True)
    assert 'value="王芳"' in page
    resp = client.post(f"/account/addresses/{address_id}/edit", data={**ADDRESS, "recipient": "李明",
                                                                       "mobile": "+86 150-0000-1111"})
    assert resp.status_code == 302
    assert addresses_of(app, buyer) == [(address_id, "李明", "15000001111", ADDRESS["street"])]

    assert client.post(f"/account/addresses/{address_id}/delete").status_code == 302
    assert addresses_of(app, buyer) == []


@pytest.mark.parametrize("mobile", ["1391234567", "139123456789", "12912345678", "23912345678", "1391234567a",
                                    "+1 415 555 0100", ""])
def test_bad_mobile_numbers_are_refused_next_to_the_field(app, client, buyer, mobile):
    resp = client.post("/account/addresses/new", data={**ADDRESS, "mobile": mobile}, headers=EN)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    expected = ("Please enter the recipient's mobile number." if not mobile
                else "Enter an 11-digit mainland China mobile number, for example 13912345678.")
    assert re.search(r'<div class="field has-error">\s*<label for="mobile"', html)
    assert f'id="mobile-err">{expected}' in html
    assert addresses_of(app, buyer) == []


@pytest.mark.parametrize("field, max_len", [("province", 20), ("city", 30), ("district", 30), ("street", 120),
                                             ("recipient", 40)])
def test_overlong_address_fields_are_refused(app, client, buyer, field, max_len):
    resp = client.post("/account/addresses/new", data={**ADDRESS, field: "长" * (max_len + 1)}, headers=EN)
    assert resp.status_code == 200
    assert f'id="{field}-err">Please use at most {max_len} characters.' in resp.get_data(as_text=True)
    assert client.post("/account/addresses/new", data={**ADDRESS, field: "长" * max_len}).status_code == 302


def test_add_address_returns_to_a_safe_next(app, client, buyer):
    form = client.get("/account/addresses/new?next=/checkout").get_data(as_text=True)
    assert 'action="/account/addresses/new?next=/checkout"' in form
    resp = client.post("/account/addresses/new?next=/checkout", data=ADDRESS)
    assert resp.headers["Location"] == "/checkout"
    resp = client.post("/account/addresses/new?next=https://evil.example/", data=ADDRESS)
    assert resp.headers["Location"] == "/account"


def test_another_users_address_is_not_found(app, client, buyer):
    theirs = other_users_address(app)
    assert client.get(f"/account/addresses/{theirs}/edit").status_code == 404
    assert client.post(f"/account/addresses/{theirs}/edit", data=ADDRESS).status_code == 404
    assert client.post(f"/account/addresses/{theirs}/delete").status_code == 404
    with app.app_context():
        assert db.session.get(Address, theirs).recipient == "王芳"


@pytest.mark.parametrize("url", ["/account/addresses/999999/edit", "/account/addresses/99999999999999999999/edit",
                                 "/account/addresses/abc/edit"])
def test_unknown_address_ids_are_404(client, buyer, url):
    assert client.get(url).status_code == 404


def test_delete_address_needs_post_and_csrf(app, client, buyer, monkeypatch):
    client.post("/account/addresses/new", data=ADDRESS)
    ((address_id, *_),) = addresses_of(app, buyer)
    assert client.get(f"/account/addresses/{address_id}/delete").status_code == 405
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert client.post(f"/account/addresses/{address_id}/delete").status_code == 400
    assert len(addresses_of(app, buyer)) == 1
    page = client.get("/account").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post(f"/account/addresses/{address_id}/delete", data={"csrf_token": token}).status_code == 302
    assert addresses_of(app, buyer) == []


def test_at_most_ten_addresses(app, client, buyer):
    for _ in range(10):
        assert client.post("/account/addresses/new", data=ADDRESS).status_code == 302
    resp = client.post("/account/addresses/new", data=ADDRESS, headers=EN)
    assert resp.status_code == 200
    assert "You can save up to 10 addresses." in resp.get_data(as_text=True)
    assert len(addresses_of(app, buyer)) == 10
    assert "/account/addresses/new" not in client.get("/account").get_data(as_text=True)


def test_account_page_in_english_and_chinese(app, client, buyer):
    en = client.get("/account", headers=EN).get_data(as_text=True)
    assert "Your account" in en and "Delivery addresses" in en and "我的账户" not in en
    zh = client.get("/account", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "我的账户" in zh and "收货地址" in zh and "Your account" not in zh
    client.get("/lang/en?next=/account")
    assert "Your account" in client.get("/account", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)


def test_chinese_address_form_has_no_english_errors(client, buyer):
    resp = client.post("/account/addresses/new", data={"mobile": "12345"}, headers={"Accept-Language": "zh-CN"})
    html = resp.get_data(as_text=True)
    assert "请输入省份。" in html and "请输入11位中国大陆手机号码" in html
    assert not re.search(r'class="error"[^>]*>[^<]*[A-Za-z]{4,}', html)
