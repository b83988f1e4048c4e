"""Back office: the household registry (search, detail, reveal, edit, income statement) and registered-poor
status proposed by cooperatives, confirmed or declined by staff. Every look and change is logged."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from shop.coops.forms import ActionForm, village_choices
from shop.extensions import db
from shop.households import services as svc
from shop.households.forms import AnonymiseForm, DeclineForm, HouseholdEditForm, HouseholdSearchForm, StatementPeriodForm
from shop.households.models import mask
from shop.i18n import l10n, lang
from shop.households.services import decide_poor_status, list_poor_proposals
from shop.staff.views import bp, staff_required
from shop.types import today_local
from shop.web import first_error, page_arg, search_args

ID = "int(max=2147483647)"
PER_PAGE = 50


@bp.get("/households")
@staff_required
def households():
    from shop.coops.services import list_villages
    from shop.reports.income import list_filter_choices

    form = HouseholdSearchForm(request.args)
    _counties, _villages, coops, _categories = list_filter_choices()
    form.set_choices([(v.id, f"{l10n(v.county, 'name')} · {l10n(v, 'name')}") for v in list_villages()],
                     [(i, en if en and lang() == "en" else zh) for i, zh, en in coops])
    search = form.search()
    found = svc.search_households(search, page_arg(), PER_PAGE, current_user.id) if search else None
    args = search_args(form)
    page = render_template("staff/households.html", households=found, form=form, args=args, mask=mask)
    db.session.commit()  # the access log is kept even for a look (after drawing: a commit expires the rows)
    return page


def _detail(household, revealed: dict | None = None, code: int = 200):
    start, end = svc.last_full_quarter(today_local())
    period = StatementPeriodForm(formdata=None, start=start, end=end)
    return render_template("staff/household_detail.html", h=household, revealed=revealed or {}, action=FlaskForm(),
                           period=period, mask=mask, anonymise=AnonymiseForm(formdata=None)), code


@bp.get(f"/households/<{ID}:household_id>")
@staff_required
def household(household_id: int):
    found = svc.get_household(household_id) or abort(404)
    svc.log_household_access(current_user.id, "view", [found.id])
    page = _detail(found)
    db.session.commit()
    return page


@bp.post(f"/households/<{ID}:household_id>/reveal/<any(registry_code, phone):field>")
@staff_required
def household_reveal(household_id: int, field: str):
    found = svc.get_household(household_id) or abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    page, code = _detail(found, {field: svc.reveal_field(found, field, current_user.id)})
    db.session.commit()
    return page, code, {"Cache-Control": "no-store"}  # the full value is not kept by the browser or a proxy


@bp.post(f"/households/<{ID}:household_id>/anonymise")
@staff_required
def household_anonymise(household_id: int):
    found = svc.get_household(household_id) or abort(404)
    form = AnonymiseForm()
    if not form.validate_on_submit():
        if form.errors.keys() - {"confirm"}:
            abort(400)
        flash(first_error(form), "error")
    elif svc.anonymise_household(found.id, current_user.id):
        db.session.commit()
        flash(_("The household's name, registry code and phone are erased; it is now %(name)s.",
                name=found.pseudonym), "success")
    else:
        flash(_("This household was already anonymised."), "error")
    return redirect(url_for("staff.household", household_id=household_id))


def _edit_form(household=None) -> HouseholdEditForm:
    from shop.coops.services import list_villages

    data = None
    if household is not None and request.method == "GET":
        data = {name: getattr(household, name) for name in svc.EDITABLE if name not in ("registry_code", "phone")}
    form = HouseholdEditForm(data=data) if data else HouseholdEditForm()
    form.set_choices(village_id=village_choices(list_villages()))
    return form


@bp.route(f"/households/<{ID}:household_id>/edit", methods=["GET", "POST"])
@staff_required
def household_edit(household_id: int):
    found = svc.get_household(household_id) or abort(404)
    if found.is_anonymised:
        flash(_("This household was anonymised; its details can no longer be changed."), "error")
        return redirect(url_for("staff.household", household_id=household_id))
    form = _edit_form(found)
    if form.validate_on_submit():
        try:
            changed = svc.edit_household(found, current_user.id, **form.data_for_service(found))
            db.session.commit()
        except svc.HouseholdError as error:
            db.session.rollback()
            form[error.field].errors = list(form[error.field].errors) + [error.message]
        else:
            flash(_("The household is saved.") if changed else _("Nothing was changed."), "success")
            return redirect(url_for("staff.household", household_id=household_id))
    elif request.method == "POST":
        flash(first_error(form) or _("Please check the form."), "error")
    svc.log_household_access(current_user.id, "view", [found.id])  # the form shows the household: a look
    page = render_template("staff/household_edit.html", h=found, form=form, mask=mask)
    db.session.commit()
    return page, 400 if form.errors else 200


@bp.get(f"/households/<{ID}:household_id>/statement")
@staff_required
def household_statement(household_id: int):
    found = svc.get_household(household_id) or abort(404)
    form = StatementPeriodForm(request.args)
    default_start, default_end = svc.last_full_quarter(today_local())
    if not form.validate():
        svc.log_household_access(current_user.id, "view", [found.id])  # the page still names the household
        page = render_template("staff/household_statement.html", h=found, form=form, statement=None)
        db.session.commit()
        return page, 400
    start, end = form.start.data or default_start, form.end.data or default_end
    if end < start:  # one end given, past the default other end
        start, end = (start, max(start, today_local())) if form.start.data else (end, end)
    form.start.data, form.end.data = start, end  # the form shows the period the statement covers
    statement = svc.build_household_statement(found, start, end, current_user.id)
    page = render_template("staff/household_statement.html", h=found, form=form, statement=statement)
    db.session.commit()
    return page


@bp.get("/households/proposals")
@staff_required
def poor_proposals():
    households = list_poor_proposals(current_user.id)
    db.session.commit()  # the access log is kept even for a look
    return render_template("staff/poor_proposals.html", households=households, action=ActionForm(),
                           decline=DeclineForm(formdata=None), mask=mask)


@bp.post(f"/households/<{ID}:household_id>/<any(confirm, decline):decision>")
@staff_required
def poor_decision(household_id: int, decision: str):
    if decision == "decline":
        form = DeclineForm()
        if not form.validate_on_submit():
            if form.errors.keys() - {"reason"}:
                abort(400)
            flash(first_error(form), "error")
            return redirect(url_for("staff.poor_proposals"))
        reason = form.reason.data
    else:
        if not ActionForm().validate_on_submit():
            abort(400)
        reason = ""
    if decide_poor_status(household_id, decision == "confirm", current_user.id, reason):
        db.session.commit()
        flash(_("Registered-poor status confirmed.") if decision == "confirm"
              else _("The proposal was declined."), "success")
    else:
        flash(_("This household has no proposal waiting."), "error")
    return redirect(url_for("staff.poor_proposals"))
