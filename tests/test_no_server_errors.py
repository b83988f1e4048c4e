"""Walk every route with nonsense arguments, as a guest and as a buyer: never a 500."""
import pytest

from shop.extensions import db
from tests.factories import log_in, make_user

ODD_VALUES = {"int": 2147483647, "default": "no-such-thing", "path": "../../etc/passwd"}
SKIP = {"static", "main.media"}


def _odd_value(converter):
    kind = type(converter).__name__
    if kind == "AnyConverter":
        return sorted(converter.items)[0]
    return ODD_VALUES["int"] if kind == "IntegerConverter" else ODD_VALUES["default"]


def _urls(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP:
            continue
        values = {arg: _odd_value(rule._converters[arg]) for arg in rule.arguments}
        with app.test_request_context():
            from flask import url_for

            yield rule, url_for(rule.endpoint, **values)


@pytest.mark.parametrize("signed_in", [False, True])
def test_every_route_answers_nonsense_without_a_server_error(app, client, signed_in):
    if signed_in:
        with app.app_context():
            user_id = make_user().id
            db.session.commit()
        log_in(client, user_id)
    for rule, url in _urls(app):
        for method in sorted(rule.methods & {"GET", "POST"}):
            query = "?page=-1&q=%00%25&sort=bogus&lang=xx&next=//evil.example"
            resp = client.open(url + query, method=method, data={"quantity": "-5", "variant_id": "x"})
            assert resp.status_code < 500, f"{method} {url}: {resp.status_code}"
