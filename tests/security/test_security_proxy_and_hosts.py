"""Behind PROXY_COUNT proxies the client's own address keys the rate limits; without, X-Forwarded-For is
ignored. In production an unknown Host answers 400, with nothing in the log."""
import logging

import pytest

from tests.accounts.helpers import create_user

LOGIN = {"email": "buyer@example.test", "password": "wrong-password-1"}


def _login_from(client, address: str) -> int:
    return client.post("/account/login", data=LOGIN, headers={"X-Forwarded-For": address}).status_code


@pytest.mark.parametrize("proxy_count, separate", [(1, True), (0, False)])
def test_rate_limits_key_on_the_client_behind_the_trusted_proxy(app, make_app, proxy_count, separate):
    create_user(app)
    client = make_app(PROXY_COUNT=proxy_count, RATELIMIT_ENABLED=True).test_client()
    assert [_login_from(client, "203.0.113.7") for _ in range(10)] == [200] * 10
    assert _login_from(client, "203.0.113.7") == 429
    assert _login_from(client, "198.51.100.9") == (200 if separate else 429)


def test_an_unknown_host_gets_400_without_a_traceback(production_app, caplog):
    client = production_app.test_client()
    with caplog.at_level(logging.INFO):
        bad = client.get("/", headers={"Host": "evil.example", "Accept-Language": "en"})
        bad_post = client.post("/account/login", headers={"Host": "evil.example"}, data=LOGIN)
    assert bad.status_code == bad_post.status_code == 400
    assert "does not answer to that host name" in bad.get_data(as_text=True)
    assert bad.headers["X-Content-Type-Options"] == "nosniff" and bad.headers["X-Request-ID"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert client.get("/healthz", headers={"Host": "shop.example"}).status_code == 200


def test_links_that_leave_the_site_never_take_the_request_host(make_app, production_app):
    from shop.web import public_url

    with production_app.test_request_context("/", headers={"Host": "evil.example"}):
        assert public_url("orders.detail", number="LN1") == "https://shop.example/orders/LN1"
    configured = make_app(PUBLIC_BASE_URL="https://shop.example.cn/shop", TRUSTED_HOSTS=["other.example"])
    with configured.test_request_context("/", headers={"Host": "evil.example"}):
        assert public_url("orders.detail", number="LN1") == "https://shop.example.cn/shop/orders/LN1"
    with configured.app_context():  # from the command line too (cron jobs send mail)
        assert public_url("accounts.login").startswith("https://shop.example.cn/shop/")
