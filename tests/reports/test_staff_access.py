"""Every back-office URL refuses buyers and coop managers, and sends guests to log in.

staff_required answers 404 to a signed-in non-staff user today; the issue asks for 403. Both refuse
without saying more, so the test accepts either until that change lands."""
import itertools

import pytest
from flask import url_for

from shop.extensions import db
from tests.factories import log_in, make_coop
from tests.reports.income_world import quick_user

REFUSED = (403,)


def _values(converter) -> list:
    kind = type(converter).__name__
    if kind == "AnyConverter":
        return sorted(converter.items)  # every choice: income.csv and income.xlsx
    return [1 if kind == "IntegerConverter" else "1"]


def staff_urls(app) -> list[tuple[str, str]]:
    """(method, url) of every rule under /staff, ids filled with 1."""
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.rule != "/staff" and not rule.rule.startswith("/staff/"):
            continue
        names = sorted(rule.arguments)
        for values in itertools.product(*(_values(rule._converters[arg]) for arg in names)):
            with app.test_request_context():
                url = url_for(rule.endpoint, **dict(zip(names, values)))
            urls += [(method, url) for method in sorted(rule.methods & {"GET", "POST"})]
    return urls


def test_the_walk_covers_the_reports_and_every_staff_section(app):
    urls = {url for _, url in staff_urls(app)}
    assert {"/staff", "/staff/reports", "/staff/reports/income.csv", "/staff/reports/income.xlsx",
            "/staff/orders/1/refund", "/staff/coops", "/staff/coops/1", "/staff/coops/1/suspend",
            "/staff/coops/1/rates", "/staff/coops/1/reveal-bank-account"} <= urls


@pytest.mark.parametrize("role", ["buyer", "coop manager"])
def test_a_buyer_or_a_coop_manager_is_refused_everywhere_under_staff(app, client, role):
    with app.app_context():
        coop = make_coop() if role == "coop manager" else None
        user_id = quick_user(coop_id=coop and coop.id).id
        db.session.commit()
    log_in(client, user_id)
    answers = {(method, url): client.open(url, method=method).status_code for method, url in staff_urls(app)}
    assert {key: code for key, code in answers.items() if code not in REFUSED} == {}


def test_a_guest_is_sent_to_log_in_everywhere_under_staff(app, client):
    for method, url in staff_urls(app):
        resp = client.open(url, method=method)
        assert resp.status_code in (302, 303), (method, url, resp.status_code)
        assert "/account/login" in resp.headers["Location"], (method, url, resp.headers["Location"])


def test_staff_may_open_the_reports(app, client):
    with app.app_context():
        staff = quick_user(is_staff=True).id
        db.session.commit()
    log_in(client, staff)
    for url in ("/staff/reports", "/staff/reports/income.csv", "/staff/reports/income.xlsx"):
        assert client.get(url).status_code == 200


ADMIN_ONLY_PREFIXES = ("/staff/users", "/staff/settings")


@pytest.mark.parametrize("role", ["staff", "buyer", "coop manager"])
def test_admin_only_routes_refuse_everyone_but_admins(app, client, role):
    from shop.staff.views import ADMIN_ONLY

    admin_urls = [(m, u) for m, u in staff_urls(app) if u.startswith(ADMIN_ONLY_PREFIXES)]
    assert {"/staff/users", "/staff/settings", "/staff/users/invite", "/staff/users/1/roles"} <= {u for _, u in admin_urls}
    assert ADMIN_ONLY <= {rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.startswith(ADMIN_ONLY_PREFIXES)}
    with app.app_context():
        coop = make_coop() if role == "coop manager" else None
        user_id = quick_user(coop_id=coop and coop.id, is_staff=role == "staff").id
        db.session.commit()
    log_in(client, user_id)
    answers = {(method, url): client.open(url, method=method).status_code for method, url in admin_urls}
    assert {key: code for key, code in answers.items() if code != 403} == {}
