"""Who reaches the payout routes: another cooperative's manager gets 404 on every coop payout route and
method; buyers and coop managers get 403 on the staff ones; guests are asked to log in. Nothing changes."""
import re

from sqlalchemy import func, select

from shop.extensions import db
from shop.households.models import HouseholdAccessLog
from shop.payouts.models import Handover, PayoutRun
from tests.factories import log_in
from tests.payouts.payout_world import build, payouts

COOP_ENDPOINTS = {"coop.payouts", "coop.payout_statement", "coop.payout_handover"}
STAFF_ENDPOINTS = {"staff.payouts", "staff.payouts_run", "staff.payouts_send", "staff.payout_run_csv", "staff.payouts_waiting",
                   "staff.payout", "staff.payout_paid", "staff.payout_failed", "staff.payout_retry",
                   "staff.payout_cancel"}


def _rules(app, endpoints):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint in endpoints]
    assert {r.endpoint for r in rules} == endpoints  # a new route must be added here, and so tested
    return rules


def _url(rule, ids):
    return re.sub(r"<(?:[^:<>]+:)?([a-z_]+)>", lambda m: str(ids[m.group(1)]), rule.rule)


def _methods(rule):
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


FORM = {"reference": "BOC-1", "reason": "closed", "handed_over_on": "2026-01-01", "method": "cash", "note": "x"}


def _paid_payout(app, client, monkeypatch):
    world = build(app, monkeypatch, run=True)
    with app.app_context():
        (payout,) = payouts()
    log_in(client, world.staff_id)
    assert client.post(f"/staff/payouts/{payout.id}/paid", data={"reference": "BOC-1"}).status_code == 302
    with app.app_context():
        ids = {"payout_id": payout.id, "run_id": payout.run_id, "household_id": world.household_ids[0]}
        logs = db.session.scalar(select(func.count()).select_from(HouseholdAccessLog))
    return world, ids, logs


def _unchanged(app, logs: int) -> None:
    with app.app_context():
        (payout,) = payouts()
        assert (payout.status, payout.reference) == ("paid", "BOC-1")
        assert db.session.scalar(select(func.count()).select_from(Handover)) == 0
        assert db.session.scalar(select(func.count()).select_from(PayoutRun)) == 1
        assert db.session.scalar(select(func.count()).select_from(HouseholdAccessLog)) == logs


def test_another_cooperatives_manager_gets_404_on_every_payout_route_and_method(app, client, monkeypatch):
    world, ids, logs = _paid_payout(app, client, monkeypatch)
    log_in(client, world.other_manager_id)
    walked = 0
    for rule in _rules(app, COOP_ENDPOINTS):
        if not rule.arguments:
            continue
        for method in _methods(rule):
            for query in ("", "?print=1"):
                resp = client.open(_url(rule, ids) + query, method=method, data=FORM)
                assert resp.status_code == 404, (rule.rule, method, resp.status_code)
                walked += 1
    assert walked == 4
    page = client.get("/coop/payouts").get_data(as_text=True)
    assert f"/coop/payouts/{ids['payout_id']}" not in page and world.head_names[0] not in page
    _unchanged(app, logs)


def test_buyers_and_coop_managers_never_reach_staff_payouts_and_guests_log_in(app, client, monkeypatch):
    world, ids, logs = _paid_payout(app, client, monkeypatch)
    for rule in _rules(app, STAFF_ENDPOINTS | COOP_ENDPOINTS):
        for method in _methods(rule):
            guest = app.test_client().open(_url(rule, ids), method=method, data=FORM)
            assert guest.status_code == 302 and "/account/login" in guest.headers["Location"], rule.rule
    for user_id, endpoints in ((world.buyer_id, STAFF_ENDPOINTS | COOP_ENDPOINTS),
                               (world.manager_id, STAFF_ENDPOINTS)):
        log_in(client, user_id)
        for rule in _rules(app, endpoints):
            for method in _methods(rule):
                resp = client.open(_url(rule, ids), method=method, data=FORM)
                expected = 403 if rule.endpoint in STAFF_ENDPOINTS else 404  # the staff area says no; a coop hides
                assert resp.status_code == expected, (user_id, rule.rule, method, resp.status_code)
    _unchanged(app, logs)


def test_unknown_payout_and_run_ids_are_404_for_staff(app, client, monkeypatch):
    world, ids, _ = _paid_payout(app, client, monkeypatch)
    missing = {"payout_id": ids["payout_id"] + 1000, "run_id": ids["run_id"] + 1000, "household_id": 1}
    for rule in _rules(app, STAFF_ENDPOINTS):
        if rule.arguments:
            for method in _methods(rule):
                resp = client.open(_url(rule, missing), method=method, data=FORM)
                assert resp.status_code == 404, (rule.rule, method, resp.status_code)
