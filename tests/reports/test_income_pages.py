"""The staff income report page, its CSV and Excel exports, the access log and the query budget."""
import csv
import html
import io
import re
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import select, update

from shop.extensions import db
from shop.households.models import Household, HouseholdAccessLog
from shop.places.models import Village
from shop.reports.income import IncomeFilter, build_income_report
from tests.factories import log_in, make_coop
from tests.querycount import count_queries
from tests.reports.income_world import IncomeWorld, add_households, quick_user

EN = {"Accept-Language": "en"}
QUERY = "start=2026-01-01&end=2026-05-31&sort=name"


@pytest.fixture
def world(app):
    """The world, committed, as plain values: the staff user's id, a village's id, and each household's
    registered-poor flag by name."""
    with app.app_context():
        w = IncomeWorld()
        facts = {"staff": w.staff.id, "village": w.villages[2].id,
                 "poor": {h.head_name: h.poor_status == "confirmed" for h in w.households}}
        db.session.commit()
        return facts


def _cells(raw: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", raw)).split())


def page_rows(page: str) -> list[tuple[list[str], bool]]:
    """The report table's rows: (cell texts, whether the first cell carries the registered-poor badge)."""
    table = re.search(r'<section class="report-table">(.*?)</section>', page, re.S).group(1)
    rows = []
    for raw in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", raw, re.S)
        if cells and "colspan" not in raw:
            rows.append(([_cells(c) for c in cells], "badge" in cells[0]))
    return rows


def page_total(page: str, css: str) -> str:
    return _cells(re.search(rf'<span class="num {css}">(.*?)</span>', page, re.S).group(1))


def shown_fen(text: str) -> int:
    """"¥1,234.50" (or "-¥12.50") as fen."""
    assert re.fullmatch(r"-?¥\d{1,3}(,\d{3})*\.\d\d", text), text
    return int(Decimal(text.replace("¥", "").replace(",", "")) * 100)


def csv_fen(text: str) -> int:
    assert re.fullmatch(r"-?\d+\.\d\d", text), text
    return int(Decimal(text) * 100)


def xlsx_fen(cell) -> int:
    assert "0.00" in cell.number_format, cell.number_format
    assert isinstance(cell.value, (int, float, Decimal)), cell.value
    return int(Decimal(str(cell.value)) * 100)


def same(value, text: str) -> bool:
    """An Excel cell holds what the CSV says: the same text, or the same number (2.0 reads back as 2)."""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return Decimal(str(value)) == Decimal(text)
    return value == text


def _exports(client, query, headers):
    resp = client.get(f"/staff/reports/income.csv?{query}", headers=headers)
    assert resp.status_code == 200 and resp.content_type == "text/csv; charset=utf-8"
    assert resp.data.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    resp = client.get(f"/staff/reports/income.xlsx?{query}", headers=headers)
    assert resp.status_code == 200
    assert resp.content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = openpyxl.load_workbook(io.BytesIO(resp.data))
    return table, book


def test_csv_and_excel_match_the_page_cell_for_cell(app, client, world):
    """By household in Chinese and in English (in May, a refund of sales settled in March makes some
    incomes negative), then by every other grouping. One village has no English name: the page shows
    its Chinese name, and so must the exports."""
    with app.app_context():
        db.session.execute(update(Village).where(Village.id == world["village"]).values(name_en=""))
        db.session.commit()
    log_in(client, world["staff"])
    for headers, period in ((EN, QUERY), ({}, QUERY), (EN, "start=2026-05-01&end=2026-05-31")):
        _match_households(client, world, headers, period)
    for group in ("village", "county", "coop", "category", "poor"):
        _match_grouped(app, client, group)


def _match_households(client, world, headers, period):
    query = f"group=household&{period}"
    page = client.get(f"/staff/reports?{query}", headers=headers).get_data(as_text=True)
    shown = page_rows(page)
    table, book = _exports(client, query, headers)
    header, *rows, totals = table
    assert len(header) == 8 and len(shown) == len(rows) >= 5
    sheet = book.worksheets[0]
    cells = list(sheet.iter_rows())
    assert [c.value for c in cells[0]] == header
    assert len(cells) == len(table)
    for (page_cells, badge), row, xrow in zip(shown, rows, cells[1:-1]):
        name, income, place, coop, units = page_cells
        assert name.split(" ")[0] == row[0]  # then the badge's words, for a registered-poor household
        assert badge == world["poor"][row[0]]
        assert shown_fen(income) == csv_fen(row[7]) == xlsx_fen(xrow[7])
        assert place == f"{row[2]} · {row[1]}"
        assert coop == row[3] and units == row[5]
        assert all(same(c.value, text) for c, text in zip(xrow[:7], row[:7])), ([c.value for c in xrow], row)
    assert len({r[4] for r in rows}) == 2  # the registered-poor column says yes and no
    # Totals: the page's total is the CSV's and the workbook's totals row.
    total = shown_fen(page_total(page, "report-total"))
    assert total == csv_fen(totals[7]) == xlsx_fen(cells[-1][7]) == sum(csv_fen(r[7]) for r in rows)
    assert cells[-1][0].value == totals[0] != ""
    # The second sheet lists the filters used.
    assert len(book.worksheets) == 2
    filters = dict((a, b) for a, b in book.worksheets[1].iter_rows(values_only=True))
    assert "2026-05-31" in filters.values()
    if headers:
        assert filters["Group by"] == "Household" and filters["To"] == "2026-05-31"
    if "05-01" in period:
        assert any(csv_fen(r[7]) < 0 for r in rows) and any(csv_fen(r[7]) > 0 for r in rows)
    else:
        assert any("," in cells[1] for cells, _ in shown)  # ¥1,234.50: thousands are grouped on the page


def _match_grouped(app, client, group):
    query = f"group={group}&{QUERY}"
    page = client.get(f"/staff/reports?{query}", headers=EN).get_data(as_text=True)
    shown = page_rows(page)
    table, book = _exports(client, query, EN)
    header, *rows, totals = table
    cells = list(book.worksheets[0].iter_rows())
    assert [c.value for c in cells[0]] == header and len(cells) == len(table)
    assert len(shown) == len(rows) >= 2
    for (page_cells, _), row, xrow in zip(shown, rows, cells[1:-1]):
        label, income, poor, households, units = page_cells
        assert label == row[0] == xrow[0].value
        assert shown_fen(income) == csv_fen(row[4]) == xlsx_fen(xrow[4])
        assert shown_fen(poor) == csv_fen(row[5]) == xlsx_fen(xrow[5])
        assert households == row[1] and units == row[2]
        assert all(same(c.value, text) for c, text in zip(xrow[1:4], row[1:4])), ([c.value for c in xrow], row)
    assert shown_fen(page_total(page, "report-total")) == csv_fen(totals[4]) == xlsx_fen(cells[-1][4])
    assert shown_fen(page_total(page, "report-poor-total")) == csv_fen(totals[5]) == xlsx_fen(cells[-1][5])
    assert len(book.worksheets) == 2
    with app.app_context():
        assert csv_fen(totals[4]) == build_income_report(IncomeFilter(date(2026, 1, 1), date(2026, 5, 31)),
                                                         group).total_fen


def _logs():
    return [(log.user_id, log.action, log.household_ids) for log in
            db.session.scalars(select(HouseholdAccessLog).order_by(HouseholdAccessLog.id))]


@pytest.fixture
def small_world(app):
    """A staff user and one cooperative whose four households share a settled sale: (staff id, coop id,
    {head name: household id})."""
    with app.app_context():
        coop = make_coop()
        staff = quick_user(is_staff=True).id
        ids = add_households(coop.id, 4)
        names = {db.session.get(Household, i).head_name: i for i in ids}
        db.session.commit()
        return staff, coop.id, names


def test_viewing_households_and_each_export_is_logged(app, client, small_world):
    staff, _, names = small_world
    log_in(client, staff)
    page = client.get("/staff/reports?group=household", headers=EN).get_data(as_text=True)
    shown = [names[cells[0].split(" ")[0]] for cells, _ in page_rows(page)]
    assert sorted(shown) == sorted(names.values())
    client.get("/staff/reports/income.csv?group=household")
    client.get("/staff/reports/income.xlsx?group=household&poor=yes")
    client.get("/staff/reports?group=household&page=2")  # one page of households: page 2 shows it again
    client.get("/staff/reports?group=village")  # no household named
    with app.app_context():
        logs = _logs()
        poor = {h.id for h in db.session.scalars(select(Household).where(Household.poor_status == "confirmed"))}
    assert [(user, action) for user, action, _ in logs] == [
        (staff, "income_report"), (staff, "income_export_csv"), (staff, "income_export_xlsx"),
        (staff, "income_report")]
    assert [sorted(int(i) for i in ids.split(",")) for _, _, ids in logs] == [
        sorted(shown), sorted(shown), sorted(poor), sorted(shown)]
    assert 0 < len(poor) < len(shown)


def test_an_export_of_many_households_logs_every_one_of_them(app, client):
    """Long ids: 200 households of ten digits do not fit in one log row of 2,000 characters."""
    with app.app_context():
        coop = make_coop()
        staff = quick_user(is_staff=True).id
        ids = add_households(coop.id, 200, first_id=2_000_000_000)
        db.session.commit()
    log_in(client, staff)
    assert client.get("/staff/reports/income.csv?group=household").status_code == 200
    with app.app_context():
        logs = _logs()
    assert {(user, action) for user, action, _ in logs} == {(staff, "income_export_csv")}
    logged = [int(i) for _, _, text in logs for i in text.split(",")]
    assert sorted(logged) == sorted(ids)


def test_the_page_needs_a_fixed_number_of_queries_whatever_the_number_of_households(app, client, small_world):
    staff, coop_id, _ = small_world
    log_in(client, staff)
    urls = ["/staff/reports?group=household", "/staff/reports?group=village", "/staff/reports?group=category",
            "/staff/reports/income.csv?group=household", "/staff/reports/income.xlsx?group=household"]

    def queries():
        counts = []
        for url in urls:
            with app.app_context():
                with count_queries(db.engine) as statements:
                    assert client.get(url).status_code == 200
                counts.append(len(statements))
        return counts

    queries()  # warm up
    few = queries()
    with app.app_context():
        add_households(coop_id, 12)
        db.session.commit()
    assert queries() == few


BAD = [
    ("start=2026-13-40", "Not a valid date value"),
    ("county=abc", "Invalid Choice"),
    ("county=99999999999", "Invalid Choice"),
    ("start=2026-05-01&end=2026-04-01", "The end of the period must not be before its start."),
    ("group=nonsense", "Not a valid choice"),
    ("poor=maybe&sort=bogus", "Not a valid choice"),
    ("start=1900-01-01", "Choose dates between 2000 and 2100."),
    ("start=0001-01-01", "Choose dates between 2000 and 2100."),
    ("end=9999-12-31", "Choose dates between 2000 and 2100."),
    ("start=2026-01-01&end=9999-12-31", "Choose dates between 2000 and 2100."),
    ("page=99999&group=household", None),
    ("page=-5&group=household", None),
    ("start=&end=&county=&group=", None),
]


def test_bad_query_strings_answer_200_with_a_message(app, client, small_world):
    log_in(client, small_world[0])
    for query, message in BAD:
        resp = client.get(f"/staff/reports?{query}", headers=EN)
        assert resp.status_code == 200, query
        page = resp.get_data(as_text=True)
        if message:
            assert 'class="error"' in page and message in page, query
        else:
            assert 'class="error"' not in page, query
        if "page=" in query:  # the nearest page there is: the households, never "No income in this period"
            assert len(page_rows(page)) == 4 and "No income" not in page, query
        for fmt in ("csv", "xlsx"):
            assert client.get(f"/staff/reports/income.{fmt}?{query}", headers=EN).status_code == 200, (fmt, query)


def test_an_export_of_bad_filters_says_which_filters_it_used(app, client, small_world):
    """Bad input drops every filter (the whole history, grouped as shown): the Filters sheet must say
    so rather than repeat a period the data does not follow."""
    log_in(client, small_world[0])
    for query, group in (("start=2026-02-15&county=abc&group=household", "Household"),
                         ("start=2026-02-15&group=nonsense", "Village")):
        book = openpyxl.load_workbook(io.BytesIO(client.get(f"/staff/reports/income.xlsx?{query}", headers=EN).data))
        filters = dict(book.worksheets[1].iter_rows(values_only=True))
        assert filters["From"] in ("", None) and filters["Group by"] == group, (query, filters)
        header = [c.value for c in book.worksheets[0][1]]
        assert header[0] == group if group == "Household" else header[0] == "Group"
        with app.app_context():
            whole = build_income_report(IncomeFilter(), group.lower())
        totals = [c.value for c in book.worksheets[0][book.worksheets[0].max_row]]
        assert Decimal(str(totals[-1 if group == "Household" else 4])) * 100 == whole.total_fen
