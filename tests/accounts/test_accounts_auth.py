"""Register, log in, log out: through the pages, as a buyer would."""
import pytest
from sqlalchemy import select

from config import TestConfig
from shop import create_app
from shop.accounts.models import User
from shop.extensions import db, limiter
from tests.accounts.helpers import PASSWORD, create_user, log_in

EN = {"Accept-Language": "en"}
GENERIC = "The email or password is wrong."


def register(client, email="new@example.com", password=PASSWORD, password2=None, name="Li Lei", **kw):
    data = {"email": email, "display_name": name, "password": password,
            "password2": password if password2 is None else password2}
    return client.post("/account/register", data=data, headers=EN, **kw)


def logged_in_as(client) -> str | None:
    with client.session_transaction() as sess:
        return sess.get("_user_id", "").split(":")[0] or None


def test_register_creates_account_and_logs_in(app, client):
    resp = register(client, email="  New.Buyer@Example.COM ")
    assert resp.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.email == "new.buyer@example.com"
        assert user.display_name == "Li Lei"
        assert user.password_hash != PASSWORD and user.check_password(PASSWORD)
        assert user.locale == "en"  # the language the buyer registered in
        user_id = user.id
    assert logged_in_as(client) == str(user_id)
    assert client.get("/account").status_code == 200


def test_register_refuses_an_email_taken_in_any_case(app, client):
    create_user(app, email="taken@example.com")
    resp = register(client, email="TAKEN@Example.COM")
    assert resp.status_code == 200
    assert "An account with this email already exists" in resp.get_data(as_text=True)
    assert logged_in_as(client) is None
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(User)) == 1


@pytest.mark.parametrize("password, password2, message", [
    ("short-pw", "short-pw", "The password needs 10 to 128 characters."),
    (PASSWORD, PASSWORD + "x", "The two passwords are not the same."),
    ("x" * 129, "x" * 129, "The password needs 10 to 128 characters."),
])
def test_register_refuses_weak_or_mismatched_passwords(app, client, password, password2, message):
    resp = register(client, password=password, password2=password2)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert '<p class="error" id="password' in html and message in html
    with app.app_context():
        assert db.session.scalar(select(User)) is None


@pytest.mark.parametrize("field, value, message", [
    ("email", "not-an-email", "Please enter a valid email address"),
    ("email", "a" * 250 + "@example.com", "Please use at most 254 characters."),
    ("display_name", "n" * 61, "Please use at most 60 characters."),
    ("display_name", "   ", "Please enter a name we can greet you with."),
])
def test_register_refuses_bad_fields_with_the_message_next_to_them(client, field, value, message):
    data = {"email": "ok@example.com", "display_name": "Han Meimei", "password": PASSWORD, "password2": PASSWORD}
    data[field] = value
    resp = client.post("/account/register", data=data, headers=EN)
    assert resp.status_code == 200
    assert f'id="{field}-err">{message}' in resp.get_data(as_text=True)


def test_register_page_speaks_chinese_with_chinese_validation_messages(client):
    resp = client.post("/account/register", data={"email": "", "password": "short"},
                       headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    html = resp.get_data(as_text=True)
    assert "创建账户" in html
    assert "请输入您的邮箱。" in html
    assert "Please" not in html


def test_login_with_the_right_password_logs_in_and_merges_the_guest_cart(app, client, monkeypatch):
    import shop.cart.services

    merged = []
    monkeypatch.setattr(shop.cart.services, "merge_guest_cart", lambda user: merged.append(user.id))
    user_id = create_user(app)
    resp = log_in(client, email="Buyer@Example.test")
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    assert logged_in_as(client) == str(user_id)
    assert merged == [user_id]


def test_registration_merges_the_guest_cart_too(app, client, monkeypatch):
    import shop.cart.services

    merged = []
    monkeypatch.setattr(shop.cart.services, "merge_guest_cart", lambda user: merged.append(user.email))
    register(client, email="cart@example.com")
    assert merged == ["cart@example.com"]


def test_login_failure_says_the_same_for_unknown_email_and_wrong_password(app, client):
    create_user(app)
    wrong_password = log_in(client, password="not-the-password", headers=EN)
    unknown_email = log_in(client, email="nobody@example.test", headers=EN)
    assert wrong_password.status_code == unknown_email.status_code == 200
    assert GENERIC in wrong_password.get_data(as_text=True)
    assert GENERIC in unknown_email.get_data(as_text=True)
    assert logged_in_as(client) is None


def test_inactive_account_cannot_log_in(app, client):
    create_user(app, is_active_account=False)
    resp = log_in(client, headers=EN)
    assert GENERIC in resp.get_data(as_text=True)
    assert logged_in_as(client) is None


@pytest.mark.parametrize("target, expected", [
    ("/orders?page=2", "/orders?page=2"),
    ("//evil.example/", "/"),
    ("http://evil.example/", "/"),
    ("https:evil.example", "/"),
    ("\\\\evil.example", "/"),
    ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
])
def test_login_redirects_only_to_local_next(app, client, target, expected):
    create_user(app)
    resp = client.post("/account/login", query_string={"next": target},
                       data={"email": "buyer@example.test", "password": PASSWORD})
    assert resp.status_code == 302
    assert resp.headers["Location"] == expected


def test_login_form_drops_a_foreign_next(client):
    html = client.get("/account/login?next=//evil.example/").get_data(as_text=True)
    assert '<form method="post" action="/account/login">' in html
    html = client.get("/account/login?next=/cart").get_data(as_text=True)
    assert '<form method="post" action="/account/login?next=/cart">' in html


def test_login_required_pages_send_the_buyer_back_after_login(app, client):
    create_user(app)
    resp = client.get("/account/addresses/new?next=/checkout")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/account/login?next=")
    resp = client.post(resp.headers["Location"], data={"email": "buyer@example.test", "password": PASSWORD})
    assert resp.headers["Location"] == "/account/addresses/new?next=/checkout"


def test_logout_needs_post(app, client):
    create_user(app)
    log_in(client)
    assert client.get("/account/logout").status_code == 405
    assert logged_in_as(client) is not None
    resp = client.post("/account/logout")
    assert resp.status_code == 302
    assert logged_in_as(client) is None
    assert client.get("/account").status_code == 302  # back to the login page


def test_logout_refuses_a_post_without_csrf_token(app, client, monkeypatch):
    create_user(app)
    log_in(client)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    resp = client.post("/account/logout", headers=EN)
    assert resp.status_code == 400
    assert "The form expired" in resp.get_data(as_text=True)
    assert logged_in_as(client) is not None


def test_login_form_works_with_csrf_enabled(app, client, monkeypatch):
    import re

    create_user(app)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    html = client.get("/account/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    resp = client.post("/account/login", data={"email": "buyer@example.test", "password": PASSWORD,
                                               "csrf_token": token})
    assert resp.status_code == 302
    assert logged_in_as(client) is not None


@pytest.fixture
def limited_client(app, database_url, tmp_path):
    """A client of a second app with rate limits on (the shared test app has them off)."""

    class Limited(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        UPLOAD_DIR = str(tmp_path)
        RATELIMIT_ENABLED = True

    limited = create_app(Limited)
    yield limited.test_client()
    # The limiter is one object shared by every app: switch it back off for the other tests.
    limiter.reset()
    limiter.enabled = False
    with limited.app_context():
        for engine in db.engines.values():
            engine.dispose()


def test_login_is_rate_limited_per_minute(limited_client):
    for _ in range(10):
        assert log_in(limited_client, password="guess-number-n", headers=EN).status_code == 200
    resp = log_in(limited_client, password="guess-number-n", headers=EN)
    assert resp.status_code == 429
    assert "Too many attempts" in resp.get_data(as_text=True)
    assert limited_client.get("/account/login").status_code == 200  # only POSTs count


def test_login_moves_the_guest_cart_into_the_buyers_cart(app, client):
    """Against the real cart service: what the guest chose is in the buyer's cart after login."""
    from shop.cart.models import Cart, CartItem
    from shop.cart.services import SESSION_KEY
    from tests.factories import make_product

    user_id = create_user(app)
    with app.app_context():
        variant_id = make_product().variants[0].id
        db.session.add(Cart(token="guest-token", items=[CartItem(variant_id=variant_id, quantity=2)]))
        db.session.commit()
    with client.session_transaction() as sess:
        sess[SESSION_KEY] = "guest-token"
    assert log_in(client).status_code == 302
    with app.app_context():
        cart = db.session.scalar(select(Cart).where(Cart.user_id == user_id))
        assert [(i.variant_id, i.quantity) for i in cart.items] == [(variant_id, 2)]


def test_changing_the_password_signs_out_other_sessions(app, client):
    create_user(app)
    other = app.test_client()
    log_in(client)
    log_in(other)
    assert other.get("/account").status_code == 200
    resp = client.post("/account/password", data={"current_password": PASSWORD, "password": "another-pass-123",
                                                  "password2": "another-pass-123"})
    assert resp.status_code == 302
    assert other.get("/account").status_code == 302  # the other phone must log in again
