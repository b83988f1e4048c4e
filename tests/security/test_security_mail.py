"""Reset and invitation links never reach the log; production needs a mail server or MAIL_BACKEND=console."""
import logging
import smtplib

import pytest

from config import ProductionConfig
from tests.accounts.helpers import create_user
from tests.security.settings import PRODUCTION_ENV



def _token(message) -> str:
    link = next(line for line in message.get_content().splitlines() if "/reset-password/" in line)
    return link.rsplit("/", 1)[1]


@pytest.mark.parametrize("settings", [{"MAIL_SERVER": ""}, {"MAIL_SERVER": "smtp.example", "MAIL_BACKEND": "console"}],
                         ids=["no mail server", "console"])
def test_a_password_reset_request_logs_who_and_what_but_never_the_link(app, client, outbox, caplog, monkeypatch,
                                                                       settings):
    def no_smtp(*args, **kwargs):
        raise AssertionError("console mode must not connect to a mail server")

    monkeypatch.setattr(smtplib, "SMTP", no_smtp)
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    create_user(app, email="known@example.com")
    with caplog.at_level(logging.DEBUG):
        client.post("/account/forgot-password", data={"email": "known@example.com"})
    token = _token(outbox[0])
    assert "known@example.com" in caplog.text
    assert token not in caplog.text and "reset-password" not in caplog.text


def test_a_failing_reset_page_is_logged_without_its_token(app, client, caplog, monkeypatch):
    def broken(token):
        raise RuntimeError("boom")

    monkeypatch.setattr("shop.accounts.views.get_user_for_reset_token", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # log it, as production does
    with caplog.at_level(logging.ERROR):
        assert client.get("/account/reset-password/SECRET-TOKEN.abc").status_code == 500
    assert "Exception on /account/reset-password/[token]" in caplog.text
    assert "SECRET-TOKEN" not in caplog.text


def test_production_refuses_to_start_without_mail_unless_console_is_chosen(monkeypatch):
    for key, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("MAIL_SERVER")
    monkeypatch.delenv("MAIL_BACKEND", raising=False)
    with pytest.raises(RuntimeError, match="MAIL_SERVER"):
        ProductionConfig.check()
    monkeypatch.setenv("MAIL_BACKEND", "console")
    ProductionConfig.check()
