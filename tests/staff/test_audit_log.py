"""The audit log page: both logs merged newest first, filtered, paged with a fixed query budget, exported
as formula-safe CSV; staff and admins read it; nothing under /staff/audit accepts a write."""
from datetime import datetime, timezone

from shop.audit.services import record_audit
from shop.extensions import db
from shop.households.services import log_household_access
from tests.factories import log_in, make_user
from tests.querycount import count_queries

EN = {"Accept-Language": "en"}


def _world(app):
    with app.app_context():
        staff = make_user(email="clerk@example.test", is_staff=True)
        admin = make_user(email="boss@example.test", is_admin=True)
        old = record_audit("refund_requested", "refund:1", "order X, 1234 fen (whole)", staff.id)
        old.created_at = datetime(2026, 3, 1, 16, 30, tzinfo=timezone.utc)  # 2 March in Shanghai
        record_audit("payout_run", "payout_run:1", "=HYPERLINK(\"x\")", None)
        log_household_access(admin.id, "view_order_split", [17, 18])
        db.session.commit()
        return staff.id, admin.id


def _table(client, url: str) -> str:
    return client.get(url, headers=EN).get_data(as_text=True).split("<table")[1]


def test_both_logs_merged_newest_first_and_filtered(app, client):
    staff, admin = _world(app)
    log_in(client, staff)
    html = client.get("/staff/audit", headers=EN).get_data(as_text=True).split("<table")[1]
    assert html.index("Viewed an order") < html.index("Payouts run") < html.index("Refund requested")
    assert "household:17,18" in html and "boss@example.test" in html and "system" in html
    money = _table(client, "/staff/audit?kind=money")
    assert "Payouts run" in money and "household:17" not in money
    assert "household:17" in client.get("/staff/audit?kind=household", headers=EN).get_data(as_text=True)
    mine = _table(client, "/staff/audit?user=CLERK@")
    assert "Refund requested" in mine and "Payouts run" not in mine
    day = _table(client, "/staff/audit?start=2026-03-02&end=2026-03-02")
    assert "Refund requested" in day and "Payouts run" not in day
    act = _table(client, "/staff/audit?action=payout_run")
    assert "Payouts run" in act and "Refund requested" not in act
    bad = client.get("/staff/audit?start=2026-13-01&kind=zzz", headers=EN)
    assert bad.status_code == 200 and "Please check the search." in bad.get_data(as_text=True)
    log_in(client, admin)
    assert client.get("/staff/audit").status_code == 200


def test_the_csv_is_filtered_and_formula_safe(app, client):
    staff, _admin = _world(app)
    log_in(client, staff)
    resp = client.get("/staff/audit.csv?kind=money", headers=EN)
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "text/csv" in resp.content_type
    assert "'=HYPERLINK" in text and "2026-03-02 00:30:00" in text and "household:" not in text
    assert client.get("/staff/audit.csv?start=bad").status_code == 400


def test_the_page_has_a_fixed_query_budget(app, client):
    staff, _admin = _world(app)
    log_in(client, staff)

    def queries() -> int:
        with app.app_context():
            with count_queries(db.engine) as statements:
                assert client.get("/staff/audit", headers=EN).status_code == 200
        return len(statements)

    queries()
    few = queries()
    with app.app_context():
        for i in range(30):
            record_audit("payout_paid", f"payout:{i}", "1 fen", staff)
            log_household_access(staff, "view_payout_statement", [i])
        db.session.commit()
    assert queries() == few <= 6


def test_nothing_under_the_audit_log_accepts_a_write(app, client):
    staff, _admin = _world(app)
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/staff/audit")]
    assert {r.endpoint for r in rules} == {"staff.audit", "staff.audit_csv"}
    assert all(not (r.methods & {"POST", "PUT", "PATCH", "DELETE"}) for r in rules)
    log_in(client, staff)
    for rule in rules:
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            assert client.open(rule.rule, method=method).status_code == 405


def test_buyers_are_refused(app, client):
    with app.app_context():
        buyer = make_user().id
        db.session.commit()
    log_in(client, buyer)
    assert client.get("/staff/audit").status_code == 403
    assert client.get("/staff/audit.csv").status_code == 403
