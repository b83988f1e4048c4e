"""Back office: cooperatives (list, detail, suspend and reinstate, rates, shipping rule, payout details, logged
reveal of the bank account). Approval posts to the applications' own route. Routes on the staff blueprint."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from shop.coops import backoffice as svc
from shop.coops.forms import ActionForm, CoopPayoutForm, CoopRatesForm, CoopSearchForm, CoopShippingForm, SuspendForm
from shop.coops.models import COOP_STATUSES
from shop.coops.services import PortalError
from shop.extensions import db
from shop.households.models import mask
from shop.money import bp_to_percent_str, fen_to_yuan_str
from shop.staff.views import bp, staff_required
from shop.web import first_error, page_arg, search_args

ID = "int(max=2147483647)"
PER_PAGE = 50
PAYOUT_LABELS = {"bank": _l("Bank transfer"), "stripe": _l("Stripe")}


@bp.get("/coops")
@staff_required
def coops():
    form = CoopSearchForm(request.args)
    form.set_choices(COOP_STATUSES)
    found = None
    if form.validate():
        found = svc.search_coops(svc.CoopSearch(form.q.data or "", form.status.data or ""), page_arg(), PER_PAGE)
    counts = svc.coop_counts([c.id for c in found.items]) if found else {}
    args = search_args(form)
    return render_template("staff/coops.html", coops=found, counts=counts, form=form, args=args,
                           payout_labels=PAYOUT_LABELS)


def _forms(coop) -> dict:
    """The detail page's forms, filled from the cooperative (the account number on file is never filled in)."""
    return {
        "action": ActionForm(formdata=None),
        "suspend": SuspendForm(formdata=None),
        "rates": CoopRatesForm(formdata=None, commission=bp_to_percent_str(coop.commission_bp),
                               retention=bp_to_percent_str(coop.retention_bp)),
        "shipping": CoopShippingForm(formdata=None, shipping_fee=fen_to_yuan_str(coop.shipping_fee_fen),
                                     free_shipping_over=(fen_to_yuan_str(coop.free_shipping_over_fen)
                                                         if coop.free_shipping_over_fen is not None else "")),
        "payout": CoopPayoutForm(formdata=None, **{name: getattr(coop, name) for name in svc.PAYOUT_FIELDS
                                                   if name != "bank_account_no"}),
    }


def _detail(coop, code: int = 200, revealed: str | None = None, **posted):
    """The detail page; a posted form with errors replaces the filled-in one, and the answer is 400."""
    forms = _forms(coop) | posted
    counts = svc.coop_counts([coop.id])[coop.id]
    return render_template("staff/coop_detail.html", c=coop, counts=counts, mask=mask, revealed=revealed,
                           payout_labels=PAYOUT_LABELS,
                           suspension_reason=svc.suspension_reason(coop), **forms), code


def _found(coop_id: int):
    return svc.get_coop(coop_id) or abort(404)


@bp.get(f"/coops/<{ID}:coop_id>")
@staff_required
def coop(coop_id: int):
    return _detail(_found(coop_id))


def _refused(coop, name: str, form, error: PortalError | None = None):
    """Re-render with the form's errors (and a service's refusal on its field); nothing was changed."""
    db.session.rollback()
    coop = _found(coop.id)
    if error is not None and not (error.field and error.field in form):
        flash(error.message, "error")
    else:
        if error is not None:
            form[error.field].errors = list(form[error.field].errors) + [error.message]
        flash(first_error(form) or _("Please check the form."), "error")
    return _detail(coop, 400, **{name: form})


def _done(coop, message: str):
    flash(message, "success")
    return redirect(url_for("staff.coop", coop_id=coop.id))


def _save(coop_id: int, name: str, form, change, saved):
    """Validate the page's form `name`, then change(coop) and commit, and flash saved(coop) (or that nothing
    changed); bad input or a refusal re-renders the page with nothing changed."""
    found = _found(coop_id)
    if not form.validate_on_submit():
        return _refused(found, name, form)
    try:
        changed = change(found)
        db.session.commit()
    except PortalError as error:
        return _refused(found, name, form, error)
    return _done(found, saved(found) if changed else _("Nothing was changed."))


@bp.post(f"/coops/<{ID}:coop_id>/suspend")
@staff_required
def coop_suspend(coop_id: int):
    form = SuspendForm()
    return _save(coop_id, "suspend", form, lambda coop: svc.suspend(coop, form.reason.data, current_user.id),
                 lambda coop: _("%(coop)s is suspended: its products cannot be bought.", coop=coop.name_zh))


@bp.post(f"/coops/<{ID}:coop_id>/reinstate")
@staff_required
def coop_reinstate(coop_id: int):
    return _save(coop_id, "action", ActionForm(), lambda coop: svc.reinstate(coop, current_user.id),
                 lambda coop: _("%(coop)s is reinstated and can sell again.", coop=coop.name_zh))


@bp.post(f"/coops/<{ID}:coop_id>/rates")
@staff_required
def coop_rates(coop_id: int):
    form = CoopRatesForm()
    return _save(coop_id, "rates", form, lambda coop: svc.set_rates(
        coop, form.commission.bp, form.retention.bp, current_user.id),
        lambda coop: _("The rates are saved; they apply to orders placed from now on."))


@bp.post(f"/coops/<{ID}:coop_id>/shipping")
@staff_required
def coop_shipping(coop_id: int):
    form = CoopShippingForm()
    return _save(coop_id, "shipping", form, lambda coop: svc.set_shipping(
        coop, staff_id=current_user.id, **form.values()),
        lambda coop: _("The shipping rule is saved; it applies to orders placed from now on."))


@bp.post(f"/coops/<{ID}:coop_id>/payout")
@staff_required
def coop_payout(coop_id: int):
    form = CoopPayoutForm()
    return _save(coop_id, "payout", form, lambda coop: svc.set_payout(coop, current_user.id, **form.values(coop)),
                 lambda coop: _("The payout details are saved."))


@bp.post(f"/coops/<{ID}:coop_id>/reveal-bank-account")
@staff_required
def coop_reveal_bank(coop_id: int):
    found = _found(coop_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    page, code = _detail(found, revealed=svc.reveal_bank_account(found, current_user.id))
    db.session.commit()
    return page, code, {"Cache-Control": "no-store"}  # the full number is not kept by the browser or a proxy
