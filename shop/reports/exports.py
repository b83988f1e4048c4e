"""Exports of the household income report: CSV (with a BOM, for Excel) and .xlsx (openpyxl: real
numbers in yuan format, a totals row, and a sheet listing the filters used). Both are built from the
same table, so they match the page cell for cell."""
import csv
import io
from decimal import Decimal

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from shop.money import fen_to_yuan_str
from shop.spreadsheet import spreadsheet_safe
from shop.reports.income import IncomeReport

YUAN_FORMAT = '"¥"#,##0.00'


def group_label(report: IncomeReport, row, lang: str) -> str:
    if report.group == "poor":
        return _("Registered poor") if row.key == "poor" else _("Other households")
    return row.name_en if lang == "en" and row.name_en else row.name_zh


def income_table(report: IncomeReport, lang: str) -> tuple[list[str], list[list], list, set[int]]:
    """Return headers, rows (fen as int), the totals row and which columns are money, as the page shows them."""
    en = lang == "en"
    if report.group == "household":
        headers = [_("Household"), _("County"), _("Village"), _("Cooperative"), _("Registered poor"),
                   _("Units sold"), _("Line shares settled"), _("Income (yuan)")]
        rows = [[row.name_zh, row.county_en if en and row.county_en else row.county_zh,
                 row.village_en if en and row.village_en else row.village_zh,
                 row.coop_en if en and row.coop_en else row.coop_zh, _("yes") if row.registered_poor else _("no"),
                 row.units_sold, row.shares, row.income_fen] for row in report.rows]
        totals = [_("Total"), "", "", "", "", round(sum(r.units_sold for r in report.rows), 1),
                  sum(r.shares for r in report.rows), report.total_fen]
        return headers, rows, totals, {7}
    headers = [_("Group"), _("Households"), _("Units sold"), _("Line shares settled"), _("Income (yuan)"),
               _("Of which registered-poor households (yuan)")]
    rows = [[group_label(report, row, lang), row.households, row.units_sold, row.shares, row.income_fen,
             row.poor_income_fen] for row in report.rows]
    totals = [_("Total"), report.households, round(sum(r.units_sold for r in report.rows), 1),
              sum(r.shares for r in report.rows), report.total_fen, report.poor_total_fen]
    return headers, rows, totals, {4, 5}


def income_csv(report: IncomeReport, lang: str) -> str:
    """The report as CSV text with a BOM; money in yuan with two decimals."""
    headers, rows, totals, money = income_table(report, lang)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in [*rows, totals]:
        writer.writerow([fen_to_yuan_str(v) if i in money and isinstance(v, int) else spreadsheet_safe(v)
                         for i, v in enumerate(row)])
    return "\ufeff" + out.getvalue()


def income_xlsx(report: IncomeReport, lang: str, filters: list[tuple[str, str]]) -> bytes:
    """The report as an Excel workbook: numbers, yuan formatting, a totals row and a Filters sheet."""
    headers, rows, totals, money = income_table(report, lang)
    book = Workbook()
    sheet = book.active
    sheet.title = _("Income")[:31]
    sheet.append(headers)
    for row in [*rows, totals]:
        sheet.append([Decimal(v) / 100 if i in money and isinstance(v, int) else spreadsheet_safe(v)
                      for i, v in enumerate(row)])
    for cells in sheet.iter_rows(min_row=2):
        for i in money:
            cells[i].number_format = YUAN_FORMAT
    for cell in (*sheet[1], *sheet[sheet.max_row]):
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for i, header in enumerate(headers):
        sheet.column_dimensions[chr(ord("A") + i)].width = max(12, len(header) + 4)
    info = book.create_sheet(_("Filters")[:31])
    for name, value in filters:
        info.append([name, spreadsheet_safe(value)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
