"""Walk every route with nonsense arguments, in every role: never a 500."""
import pytest

from shop.extensions import db
from tests.factories import log_in, make_coop, make_user

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


@pytest.mark.parametrize("role", ["guest", "buyer", "coop manager", "staff"])
def test_every_route_answers_nonsense_without_a_server_error(app, client, role):
    if role != "guest":
        with app.app_context():
            coop = make_coop() if role == "coop manager" else None
            user_id = make_user(coop_id=coop and coop.id, is_staff=role == "staff").id
            db.session.commit()
        log_in(client, user_id)
    for rule, url in _urls(app):
        for method in sorted(rule.methods & {"GET", "POST"}):
            for query, data in NONSENSE:
                resp = client.open(url + query, method=method, data=data)
                assert resp.status_code < 500, f"{method} {url}{query} {data}: {resp.status_code}"


HUGE = "99999999999999999999"
NONSENSE = [  # (query string, form data)
    ("?page=-1&q=%25_&sort=bogus&lang=xx&next=//evil.example", {"quantity": "-5", "variant_id": "x"}),
    (f"?page={HUGE}&variant={HUGE}", {"variant_id": HUGE, "quantity": "1", "address_id": HUGE,
                                       "shares-0-household": HUGE, "shares-0-amount": HUGE, "amount": HUGE,
                                       "category_id": HUGE, "origin_village_id": HUGE, "village_id": HUGE}),
    ("?q=%00", {"email": "a\x00@example.com", "display_name": "\x00", "name_zh": "\x00", "reason": "\x00"}),
]


def test_a_nul_byte_anywhere_is_refused_with_400(client):
    assert client.get("/products/%00").status_code == 400
    assert client.get("/account/reset-password/%00%ff").status_code == 400
    assert client.post("/account/login", data={"email": "x\x00@example.com", "password": "p"}).status_code == 400
