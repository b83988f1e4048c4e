"""Staff household pages: search by each filter with masked codes and phones (the look logged), the detail
page's logged reveals, the edit form (duplicate code, bad input), a decline needs a reason the cooperative
sees, and the income statement agrees with the household report."""
import re
from datetime import date

import pytest
from babel.dates import format_date
from sqlalchemy import func, select

from shop.audit.models import AuditEvent
from shop.extensions import db
from shop.households.models import Household, HouseholdAccessLog
from shop.households.services import last_full_quarter
from shop.reports.income import IncomeFilter, build_income_report
from tests.factories import log_in, make_coop, make_household, make_user, make_village
from tests.querycount import count_queries
from tests.reports.income_world import IncomeWorld
from tests.reports.test_income_pages import page_total, shown_fen

EN = {"Accept-Language": "en"}


@pytest.fixture()
def registry(app):
    """Three households in two cooperatives and villages; one proposed, one confirmed; one with a phone."""
    with app.app_context():
        staff = make_user(is_staff=True)
        c1, c2 = make_coop(), make_coop(village=make_village())
        a, b, c = make_household(c1), make_household(c1, poor=True), make_household(c2)
        a.head_name, b.head_name, c.head_name = "王建国", "李秀英", "王小明"
        a.phone, a.registry_code = "13912345678", "LN-620000-0001"
        c.poor_status, c.poor_since_year = "proposed", 2016
        buyer, manager = make_user(), make_user(coop_id=c1.id)
        db.session.commit()
        return {"staff": staff.id, "buyer": buyer.id, "manager": manager.id, "coops": [c1.id, c2.id],
                "villages": [c1.village_id, c2.village_id], "ids": [a.id, b.id, c.id]}


def _found(client, query: str) -> list[int]:
    page = client.get(f"/staff/households?{query}", headers=EN)
    assert page.status_code == 200
    return sorted(int(i) for i in set(re.findall(r'href="/staff/households/(\d+)"', page.get_data(as_text=True))))


def test_search_by_name_code_village_coop_and_status(app, client, registry):
    a, b, c = registry["ids"]
    log_in(client, registry["staff"])
    assert _found(client, "") == [a, b, c]
    assert _found(client, "name=王") == [a, c]
    assert _found(client, "name=秀") == [b]
    assert _found(client, "name=%25") == []  # a wildcard matches itself only
    assert _found(client, "code=ln-620000-0001") == [a]
    assert _found(client, "code=LN-620000") == []  # the whole code, never a part of it
    assert _found(client, f"village={registry['villages'][1]}") == [c]
    assert _found(client, f"coop={registry['coops'][0]}") == [a, b]
    assert _found(client, "poor=none") == [a]
    assert _found(client, "poor=proposed") == [c]
    assert _found(client, "poor=confirmed") == [b]
    assert _found(client, f"coop={registry['coops'][0]}&poor=proposed") == []


@pytest.mark.parametrize("query", ["poor=rich", "coop=abc", "village=99999999999", "name=" + "x" * 300,
                                   "code=%00'\"<script>", "page=-1", "page=abc"])
def test_bad_search_says_so_and_never_fails(app, client, registry, query):
    log_in(client, registry["staff"])
    page = client.get(f"/staff/households?{query}", headers=EN)
    assert page.status_code == 200
    assert "<script>" not in page.get_data(as_text=True)


def test_the_list_masks_codes_and_phones_and_logs_the_ids_shown(app, client, registry):
    a, b, c = registry["ids"]
    log_in(client, registry["staff"])
    page = client.get(f"/staff/households?coop={registry['coops'][0]}", headers=EN).get_data(as_text=True)
    assert "LN-620000-0001" not in page and "13912345678" not in page
    assert "**********0001" in page and "*******5678" in page
    with app.app_context():
        log = db.session.scalar(select(HouseholdAccessLog).where(HouseholdAccessLog.action == "list"))
        assert (log.user_id, sorted(log.household_ids.split(","))) == (registry["staff"], sorted([str(a), str(b)]))


def test_the_list_is_sorted_by_village_then_name_and_paginated(app, client, registry):
    with app.app_context():
        coop = db.session.get(Household, registry["ids"][0]).coop
        for i in range(55):
            make_household(coop).head_name = f"张{i:02d}"
        db.session.commit()
    log_in(client, registry["staff"])
    first = client.get(f"/staff/households?coop={registry['coops'][0]}", headers=EN).get_data(as_text=True)
    names = re.findall(r"<strong>(.*?)</strong>", first)
    assert len(names) == 50 and names == sorted(names)
    second = client.get(f"/staff/households?coop={registry['coops'][0]}&page=2", headers=EN).get_data(as_text=True)
    assert len(re.findall(r"<strong>(.*?)</strong>", second)) == 7


def test_the_list_has_a_fixed_query_budget(app, client, registry):
    log_in(client, registry["staff"])

    def queries() -> int:
        with app.app_context():
            with count_queries(db.engine) as statements:
                assert client.get("/staff/households", headers=EN).status_code == 200
        return len(statements)

    queries()
    few = queries()
    with app.app_context():
        for _ in range(6):
            make_household(make_coop(village=make_village()))
        db.session.commit()
    assert queries() == few <= 12


def test_the_detail_masks_and_each_reveal_shows_the_value_and_is_logged(app, client, registry):
    a = registry["ids"][0]
    log_in(client, registry["staff"])
    page = client.get(f"/staff/households/{a}", headers=EN).get_data(as_text=True)
    assert "LN-620000-0001" not in page and "13912345678" not in page and "*******5678" in page
    shown = client.post(f"/staff/households/{a}/reveal/phone", headers=EN, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    assert '<code class="revealed" id="revealed-phone">13912345678</code>' in shown.get_data(as_text=True)
    assert "LN-620000-0001" not in shown.get_data(as_text=True)
    code = client.post(f"/staff/households/{a}/reveal/registry_code", headers=EN).get_data(as_text=True)
    assert "LN-620000-0001" in code
    client.post(f"/staff/households/{a}/reveal/phone", headers=EN)
    assert client.post(f"/staff/households/{a}/reveal/head_name").status_code == 404
    assert client.post("/staff/households/99999/reveal/phone").status_code == 404
    with app.app_context():
        rows = db.session.execute(select(HouseholdAccessLog.field, HouseholdAccessLog.ip, HouseholdAccessLog.user_id,
                                         HouseholdAccessLog.household_ids)
                                  .where(HouseholdAccessLog.action == "reveal").order_by(HouseholdAccessLog.id)).all()
        assert [(f, u, h) for f, _ip, u, h in rows] == [("phone", registry["staff"], str(a)),
                                                       ("registry_code", registry["staff"], str(a)),
                                                       ("phone", registry["staff"], str(a))]
        assert rows[0].ip == "10.1.2.3"


def test_the_detail_links_a_proposal_and_the_statement_of_the_last_quarter(app, client, registry):
    from shop.types import today_local

    a, c = registry["ids"][0], registry["ids"][2]
    log_in(client, registry["staff"])
    assert 'href="/staff/households"' in client.get("/staff", headers=EN).get_data(as_text=True)  # the menu
    page = client.get(f"/staff/households/{c}", headers=EN).get_data(as_text=True)
    assert 'href="/staff/households/proposals"' in page
    assert f'action="/staff/households/{c}/statement"' in page
    assert 'href="/staff/households/proposals"' not in client.get(f"/staff/households/{a}").get_data(as_text=True)
    start, end = last_full_quarter(today_local())
    assert f'value="{start}"' in page and f'value="{end}"' in page
    statement = client.get(f"/staff/households/{c}/statement", headers=EN).get_data(as_text=True)
    shown = [format_date(day, "medium", locale="en") for day in (start, end)]  # Babel's dates: Jul 1, 2026
    assert "From {} to {}".format(*shown) in statement
    with app.app_context():
        assert db.session.scalars(select(HouseholdAccessLog.action).order_by(HouseholdAccessLog.id)).all() == \
            ["view", "view", "statement"]


def _edit(a: int, **changes) -> dict:
    with_values = {"head_name": "王建国", "village_id": "", "members_count": "4", "phone": "",
                   "registry_code": "", "poor_since_year": ""}
    return with_values | changes


def test_edit_saves_the_changed_fields_with_a_log_and_an_audit_naming_them(app, client, registry):
    a = registry["ids"][0]
    village = registry["villages"][0]
    log_in(client, registry["staff"])
    form = client.get(f"/staff/households/{a}/edit", headers=EN).get_data(as_text=True)
    assert "13912345678" not in form and "LN-620000-0001" not in form  # never sent without a logged reveal
    resp = client.post(f"/staff/households/{a}/edit", data=_edit(a, head_name="王建华", village_id=village,
                                                                 phone="139 8765 4321"))
    assert resp.status_code == 302
    with app.app_context():
        h = db.session.get(Household, a)
        assert (h.head_name, h.phone, h.registry_code, h.members_count) == \
            ("王建华", "13987654321", "LN-620000-0001", 4)
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "household_edited"))
        assert (event.target, event.detail, event.user_id) == (f"household:{a}", "fields: head_name, phone",
                                                              registry["staff"])
        assert "王建华" not in event.detail and "1398" not in event.detail
        assert db.session.scalar(select(func.count()).where(HouseholdAccessLog.action == "edit")) == 1


def test_a_registered_poor_household_keeps_its_year(app, client, registry):
    _, b, c = registry["ids"]
    log_in(client, registry["staff"])
    with app.app_context():
        b_year = db.session.get(Household, b).poor_since_year
        names = {h: db.session.get(Household, h).head_name for h in (b, c)}
    for household, village in ((b, registry["villages"][0]), (c, registry["villages"][1])):
        resp = client.post(f"/staff/households/{household}/edit", headers=EN,
                           data=_edit(household, head_name=names[household] + "改", village_id=village))
        assert resp.status_code == 400
        assert "Please enter the year the household was registered as poor." in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Household, b).poor_since_year == b_year
        assert db.session.get(Household, c).poor_since_year == 2016
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_a_duplicate_registry_code_is_a_form_error_and_changes_nothing(app, client, registry):
    a, b, _ = registry["ids"]
    log_in(client, registry["staff"])
    with app.app_context():
        taken = db.session.get(Household, b).registry_code
    resp = client.post(f"/staff/households/{a}/edit", headers=EN, data=_edit(
        a, head_name="改名", village_id=registry["villages"][0], registry_code=taken.lower()))
    assert resp.status_code == 400
    assert "already on file" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Household, a).head_name == "王建国"
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


@pytest.mark.parametrize("changes, said", [
    ({"members_count": "31"}, "from 1 to 30"), ({"members_count": "0"}, "from 1 to 30"),
    ({"members_count": "many"}, "from 1 to 30"), ({"head_name": ""}, "name of the head"),
    ({"head_name": "x" * 41}, "at most 40"), ({"village_id": "99999999"}, "choose a village"),
    ({"phone": "12345"}, "11-digit"), ({"registry_code": "ab"}, "6 to 30"),
    ({"poor_since_year": "1990"}, "from 2000 to 2100")])
def test_bad_input_says_so_and_changes_nothing(app, client, registry, changes, said):
    a = registry["ids"][0]
    log_in(client, registry["staff"])
    data = _edit(a, head_name="改名", village_id=registry["villages"][0]) | changes
    resp = client.post(f"/staff/households/{a}/edit", headers=EN, data=data)
    assert resp.status_code == 400
    assert said in resp.get_data(as_text=True)
    with app.app_context():
        assert (db.session.get(Household, a).head_name, db.session.get(Household, a).members_count) == ("王建国", 4)
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_a_decline_needs_a_reason_which_is_audited_and_shown_to_the_coop(app, client, registry):
    c = registry["ids"][2]
    log_in(client, registry["staff"])
    refused = client.post(f"/staff/households/{c}/decline", data={"reason": "  "}, headers=EN,
                          follow_redirects=True)
    assert "say why" in refused.get_data(as_text=True)
    client.post(f"/staff/households/{c}/decline", data={"reason": "x" * 301})
    with app.app_context():
        assert db.session.get(Household, c).poor_status == "proposed"
    client.post(f"/staff/households/{c}/decline", data={"reason": "县档案里没有这户"})
    with app.app_context():
        h = db.session.get(Household, c)
        assert (h.poor_status, h.poor_decline_reason) == ("none", "县档案里没有这户")
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "poor_status_declined"))
        assert (event.target, event.detail) == (f"household:{c}", "县档案里没有这户")
        manager = make_user(coop_id=h.coop_id).id
        db.session.commit()
    log_in(client, manager)
    assert "县档案里没有这户" in client.get("/coop/members").get_data(as_text=True)
    # A new proposal clears the reason.
    with app.app_context():
        from shop.coops import services as coop_svc

        h = db.session.get(Household, c)
        coop_svc.update_member(h, head_name=h.head_name, village_id=h.village_id, members_count=3,
                               registry_code=None, phone=None, clear_phone=False, joined_on=h.joined_on,
                               propose_poor=True, poor_since_year=2017)
        db.session.commit()
        assert (h.poor_status, h.poor_decline_reason) == ("proposed", None)
    assert "县档案里没有这户" not in client.get("/coop/members").get_data(as_text=True)


def test_the_default_period_is_the_last_full_quarter():
    assert last_full_quarter(date(2026, 12, 6)) == (date(2026, 7, 1), date(2026, 9, 30))
    assert last_full_quarter(date(2026, 2, 10)) == (date(2025, 10, 1), date(2025, 12, 31))
    assert last_full_quarter(date(2026, 4, 1)) == (date(2026, 1, 1), date(2026, 3, 31))


@pytest.fixture()
def world(app):
    with app.app_context():
        w = IncomeWorld()
        facts = {"staff": w.staff.id, "households": [h.id for h in w.households]}
        db.session.commit()
        return facts


@pytest.mark.parametrize("start, end", [(date(2026, 1, 1), date(2026, 5, 31)), (date(2026, 3, 1), date(2026, 6, 15)),
                                        (date(2026, 2, 1), date(2026, 2, 1))])
def test_the_statement_total_is_the_households_row_in_the_report(app, client, world, start, end):
    log_in(client, world["staff"])
    with app.app_context():
        rows = {r.key: r.income_fen for r in build_income_report(IncomeFilter(start, end), "household").rows}
    report = client.get(f"/staff/reports?group=household&start={start}&end={end}", headers=EN).get_data(as_text=True)
    checked = 0
    for household_id in world["households"]:
        page = client.get(f"/staff/households/{household_id}/statement?from={start}&to={end}", headers=EN)
        assert page.status_code == 200
        total = shown_fen(page_total(page.get_data(as_text=True), "statement-total"))
        assert total == rows.get(household_id, 0)
        if household_id in rows:
            checked += 1
            assert f'href="/staff/households/{household_id}"' in report
    assert checked >= 3
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(HouseholdAccessLog.action == "statement")) == 9


def test_the_statement_shows_lots_lines_refunds_and_payouts_and_prints(app, client, world):
    from shop.ledger.models import LedgerPosting as P
    from shop.supply.models import LotShare, SupplyLot
    from shop.types import today_local

    log_in(client, world["staff"])
    first = world["households"][0]  # walnut and pepper lots, refunds, and a payout (run today)
    until = today_local()
    page = client.get(f"/staff/households/{first}/statement?from=2026-01-01&to={until}",
                      headers=EN).get_data(as_text=True)
    with app.app_context():
        codes = db.session.scalars(select(SupplyLot.trace_code).join(LotShare).where(LotShare.household_id == first))
        for code in codes:
            assert f'<span class="ref">{code}</span>' in page
        refunded = db.session.scalar(select(func.sum(P.amount_fen)).where(
            P.household_id == first, P.account == "household_payable", P.kind == "refund"))
        paid_out = db.session.scalar(select(func.sum(P.amount_fen)).where(
            P.household_id == first, P.account == "household_payable", P.kind == "payout"))
    assert refunded > 0 and paid_out > 0
    totals = re.search(r'<div class="report-totals">(.*?)</div>', page, re.S).group(1)
    assert f"¥{refunded / 100:,.2f}" in totals
    part = rf'<span class="ref">PO\d{{6}}</span></td><td data-label="[^"]*" class="num">¥{paid_out / 100:,.2f}<'
    assert re.search(part, page)
    assert "data-print" in page and "js/print.js" in page and "no-print" in page
    with open("static/css/shop.css", encoding="utf-8") as css:
        assert any(".household-statement" in block for block in css.read().split("@media print")[1:])
    zh = client.get(f"/staff/households/{first}/statement?from=2026-01-01&to={until}",
                    headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert "Income in the period" not in zh and "Income in the period" in page


@pytest.mark.parametrize("query", ["from=2026-13-01", "from=2026-03-01&to=2026-02-01", "from=0001-01-01"])
def test_a_bad_statement_period_says_so(app, client, registry, query):
    log_in(client, registry["staff"])
    page = client.get(f"/staff/households/{registry['ids'][0]}/statement?{query}", headers=EN)
    assert page.status_code == 400
    assert "statement-total" not in page.get_data(as_text=True)


@pytest.mark.parametrize("role", ["buyer", "manager"])
def test_buyers_and_coop_managers_get_403_on_every_household_page(app, client, registry, role):
    a = registry["ids"][0]
    log_in(client, registry[role])
    for method, url in [("GET", "/staff/households"), ("GET", f"/staff/households/{a}"),
                        ("POST", f"/staff/households/{a}/reveal/phone"),
                        ("POST", f"/staff/households/{a}/reveal/registry_code"),
                        ("GET", f"/staff/households/{a}/edit"), ("POST", f"/staff/households/{a}/edit"),
                        ("GET", f"/staff/households/{a}/statement"),
                        ("POST", f"/staff/households/{registry['ids'][2]}/decline")]:
        assert client.open(url, method=method, data={"reason": "x", "head_name": "x"}).status_code == 403, url
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(HouseholdAccessLog)) == 0
        assert db.session.get(Household, registry["ids"][2]).poor_status == "proposed"
