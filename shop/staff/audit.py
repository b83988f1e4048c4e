"""Back office: the audit log, read-only — money and administrative actions merged with the household
access log, filtered, paged and downloadable as CSV (routes on the staff blueprint). Nothing here edits
or deletes a row: both logs are append-only."""
from flask import Response, current_app, render_template, request

from shop.audit.forms import AuditLogForm
from shop.audit.services import action_label, list_log, log_csv, logged_actions
from shop.staff.views import bp, staff_required
from shop.web import page_arg, render_error, search_args


def _form() -> AuditLogForm:
    form = AuditLogForm(request.args)
    form.set_choices(logged_actions(), action_label)
    return form


@bp.get("/audit")
@staff_required
def audit():
    form = _form()
    search = form.search()
    log = list_log(search, page_arg(), current_app.config["PER_PAGE"] * 4) if search else None
    args = search_args(form)
    return render_template("staff/audit.html", log=log, form=form, args=args, label=action_label)


@bp.get("/audit.csv")
@staff_required
def audit_csv():
    search = _form().search()
    if search is None:
        return render_error(400)
    return Response(log_csv(search).encode("utf-8"), content_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": 'attachment; filename="audit-log.csv"', "Cache-Control": "no-store"})
