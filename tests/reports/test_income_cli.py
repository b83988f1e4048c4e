"""`flask --app shop reports households`: the household income of a period, as CSV or Excel."""
import csv
import io
from datetime import date

import openpyxl

from shop.extensions import db
from shop.reports.income import IncomeFilter, build_income_report
from tests.reports.income_world import IncomeWorld

COLUMNS = ["household_id", "county", "village", "cooperative", "registered_poor", "units_sold", "income_fen"]


def test_the_command_writes_each_households_income_as_csv_and_excel(app, tmp_path):
    with app.app_context():
        world = IncomeWorld()
        poor = {h.id: h.poor_status == "confirmed" for h in world.households}
        db.session.commit()
        expected = {period: build_income_report(IncomeFilter(*period), "household")
                    for period in ((date(2026, 1, 1), date(2026, 3, 31)), (date(2026, 5, 1), date(2026, 5, 31)))}
    runner = app.test_cli_runner()
    for (start, end), report in expected.items():
        result = runner.invoke(args=["reports", "households", "--from", start.isoformat(), "--to", end.isoformat()])
        assert result.exit_code == 0, result.output
        header, *rows = list(csv.reader(io.StringIO(result.stdout)))
        assert header == COLUMNS
        assert len(rows) == len(report.rows) >= 3
        assert sum(int(r[6]) for r in rows) == report.total_fen
        assert {int(r[0]): int(r[6]) for r in rows} == {r.key: r.income_fen for r in report.rows}
        assert all(r[4] == ("1" if poor[int(r[0])] else "0") for r in rows)
        assert f"{len(rows)} household(s), {report.total_fen} fen." in result.stderr

        out = tmp_path / f"income-{start}.xlsx"
        result = runner.invoke(args=["reports", "households", "--from", start.isoformat(), "--to", end.isoformat(),
                                     "--format", "xlsx", "--output", str(out)])
        assert result.exit_code == 0, result.output
        sheet = openpyxl.load_workbook(out).active
        header, *cells = list(sheet.iter_rows(values_only=True))
        assert list(header) == COLUMNS
        assert [[hh, county, village, coop, poor_, float(units), fen] for hh, county, village, coop, poor_, units, fen
                in cells] == [[int(r[0]), r[1], r[2], r[3], int(r[4]), float(r[5]), int(r[6])] for r in rows]
        assert sum(row[6] for row in cells) == report.total_fen
    # May has a refund of March's sales: some households lose income that month.
    assert any(r.income_fen < 0 for r in expected[(date(2026, 5, 1), date(2026, 5, 31))].rows)


def test_the_command_refuses_a_bad_period_or_xlsx_without_a_file(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["reports", "households", "--from", "2026-05-01", "--to", "2026-04-01"])
    assert result.exit_code == 2 and "--to must not be before --from" in result.output
    result = runner.invoke(args=["reports", "households", "--from", "2026-05-01", "--to", "2026-05-31",
                                 "--format", "xlsx"])
    assert result.exit_code == 2 and "--output" in result.output
    result = runner.invoke(args=["reports", "households", "--from", "2026-13-40", "--to", "2026-05-31"])
    assert result.exit_code == 2
