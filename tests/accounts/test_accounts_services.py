"""The account services that other areas (checkout) rely on, and the mail they send."""
import smtplib

import pytest

from shop.accounts.services import (MAX_ADDRESSES, AddressLimitReached, EmailTaken, add_address, authenticate,
                                    get_address, get_user_by_email, list_addresses, normalize_mobile, register_user)
from shop.mail import send_mail
from tests.factories import make_user

FIELDS = {"recipient": "王芳", "mobile": "13912345678", "province": "甘肃省", "city": "陇南市", "district": "徽县",
          "street": "麻沿乡 1 号"}


@pytest.mark.parametrize("raw, expected", [
    ("13912345678", "13912345678"), (" 139-1234-5678 ", "13912345678"), ("+86 139 1234 5678", "13912345678"),
    ("008613912345678", "13912345678"), ("１３９１２３４５６７８", "13912345678"), ("19912345678", "19912345678"),
    ("12912345678", None), ("1391234567", None), ("139123456789", None), ("", None), (None, None),
    ("١٣٩١٢٣٤٥٦٧٨", None),
])
def test_normalize_mobile(raw, expected):
    assert normalize_mobile(raw) == expected


def test_addresses_are_listed_and_got_only_for_their_owner(ctx):
    me, them = make_user(), make_user()
    first = add_address(me.id, **FIELDS)
    second = add_address(me.id, **{**FIELDS, "recipient": "李明"})
    theirs = add_address(them.id, **FIELDS)
    assert list_addresses(me.id) == [first, second]
    assert get_address(me.id, first.id) is first
    assert get_address(me.id, theirs.id) is None
    assert get_address(me.id, 10**6) is None


def test_add_address_stops_at_the_limit(ctx):
    me = make_user()
    for _ in range(MAX_ADDRESSES):
        add_address(me.id, **FIELDS)
    with pytest.raises(AddressLimitReached):
        add_address(me.id, **FIELDS)


def test_add_address_refuses_a_bad_mobile(ctx):
    with pytest.raises(ValueError):
        add_address(make_user().id, **{**FIELDS, "mobile": "12345678901"})


def test_register_and_authenticate_ignore_email_case(ctx):
    user = register_user(" Mixed@Example.COM", "Mixed", "long-enough-password")
    assert user.email == "mixed@example.com"
    with pytest.raises(EmailTaken):
        register_user("MIXED@example.com", "Again", "long-enough-password")
    assert get_user_by_email("MIXED@EXAMPLE.COM") is user
    assert authenticate("mixed@EXAMPLE.com", "long-enough-password") is user
    assert authenticate("mixed@example.com", "wrong-password") is None
    assert authenticate("nobody@example.com", "long-enough-password") is None


def test_send_mail_without_server_logs_who_and_subject_but_never_the_body(app, ctx, caplog):
    app.extensions.setdefault("outbox", []).clear()
    with caplog.at_level("INFO", logger=app.logger.name):
        send_mail("a@example.com", "主题", "Click http://localhost/x")
    assert "a@example.com" in caplog.text and "主题" in caplog.text
    assert "Click" not in caplog.text and "http://localhost/x" not in caplog.text  # bodies carry reset links
    (message,) = app.extensions["outbox"]
    assert message["Subject"] == "主题" and message["From"] == app.config["MAIL_FROM"]
    app.extensions["outbox"].clear()


def test_send_mail_uses_smtp_with_starttls_and_login(app, ctx, monkeypatch):
    calls = []

    class FakeSMTP:
        def __init__(self, host, port, timeout):
            calls.append(("connect", host, port))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            calls.append(("quit",))

        def starttls(self, context):
            calls.append(("starttls",))

        def login(self, user, password):
            calls.append(("login", user, password))

        def send_message(self, message):
            calls.append(("send", message["To"], message["Subject"]))

    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    for key, value in {"MAIL_SERVER": "smtp.example.com", "MAIL_PORT": 587, "MAIL_USE_TLS": True,
                       "MAIL_USERNAME": "shop", "MAIL_PASSWORD": "pw"}.items():
        monkeypatch.setitem(app.config, key, value)
    send_mail("a@example.com", "Hello", "Body")
    assert calls == [("connect", "smtp.example.com", 587), ("starttls",), ("login", "shop", "pw"),
                     ("send", "a@example.com", "Hello"), ("quit",)]
    app.extensions["outbox"].clear()
