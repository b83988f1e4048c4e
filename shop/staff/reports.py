"""Back office: household income reports with charts and exports (routes on the staff blueprint)."""
from flask import Response, current_app, render_template, request
from flask_login import current_user

from shop.extensions import db
from shop.households.services import log_household_access
from shop.i18n import lang
from shop.reports.exports import group_label, income_csv, income_xlsx
from shop.reports.forms import IncomeReportForm
from shop.reports.income import build_income_charts, build_income_report, list_filter_choices
from shop.staff.views import bp, staff_required
from shop.web import page_arg, search_args

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _report():
    form = IncomeReportForm(request.args)
    form.set_choices(*list_filter_choices(), lang())
    filters = form.filters()
    return form, filters, build_income_report(filters, form.group.data or "village", form.sort.data or "income")


LOG_CHUNK = 150  # household ids per log row: 150 ids of up to 10 digits fit in its 2,000 characters


def _log_names_seen(report, rows, action: str) -> None:
    """Staff see household names in a report grouped by household: log who saw which (in as many log
    rows as the ids need, so that no id is cut off)."""
    if report.group == "household" and rows:
        ids = [row.key for row in rows]
        for i in range(0, len(ids), LOG_CHUNK):
            log_household_access(current_user.id, action, ids[i:i + LOG_CHUNK])
        db.session.commit()


@bp.get("/reports")
@staff_required
def reports():
    form, filters, report = _report()
    per_page = current_app.config["PER_PAGE"] * 4
    pages = max(1, -(-len(report.rows) // per_page))
    page = min(page_arg(), pages)  # past the end: the last page, not an empty table
    rows = report.rows[(page - 1) * per_page: page * per_page]
    _log_names_seen(report, rows, "income_report")
    trend, spread = build_income_charts(filters, report)
    return render_template("staff/reports.html", form=form, report=report, page=page, trend=trend, spread=spread,
                           rows=rows, pages=pages,
                           label=lambda row: group_label(report, row, lang()), args=search_args(form))


@bp.get("/reports/income.<any(csv, xlsx):fmt>")
@staff_required
def reports_export(fmt: str):
    form, _filters, report = _report()
    _log_names_seen(report, report.rows, f"income_export_{fmt}")
    if fmt == "csv":
        body, mimetype = income_csv(report, lang()).encode("utf-8"), "text/csv; charset=utf-8"
    else:
        body, mimetype = income_xlsx(report, lang(), form.described(report.group)), XLSX
    return Response(body, content_type=mimetype, headers={
        "Content-Disposition": f'attachment; filename="household-income-{report.group}.{fmt}"',
        "Cache-Control": "no-store"})
