"""Coop portal: the cooperative's payouts, each payout's distribution statement, and the record of
handing each household its part (routes on the coop blueprint).

Only the manager's own cooperative's payouts exist here: any other id is 404 on every method."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from shop.coops.portal import bp, current_coop, manager_required
from shop.extensions import db
from shop.payouts.forms import LABELS, HandoverRecordForm
from shop.payouts.services import PayoutError, build_statement, get_payout, list_payouts, record_handover
from shop.web import first_error, page_arg

ID = "int(max=2147483647)"


@bp.get("/payouts")
@manager_required
def payouts():
    return render_template("coop/payouts.html", payouts=list_payouts(coop_id=current_user.coop_id, page=page_arg()),
                           **LABELS)


def _statement_page(payout, form: HandoverRecordForm | None = None, household_id: int | None = None, code: int = 200):
    blank = HandoverRecordForm(formdata=None)
    return render_template("coop/payout_statement.html", statement=build_statement(payout), coop=current_coop(),
                           payout=payout, form=form or blank, blank=blank, failed_household=household_id,
                           printing=request.args.get("print") == "1", **LABELS), code


@bp.get(f"/payouts/<{ID}:payout_id>")
@manager_required
def payout_statement(payout_id: int):
    return _statement_page(get_payout(payout_id, coop_id=current_user.coop_id) or abort(404))


@bp.post(f"/payouts/<{ID}:payout_id>/handovers/<{ID}:household_id>")
@manager_required
def payout_handover(payout_id: int, household_id: int):
    payout = get_payout(payout_id, coop_id=current_user.coop_id) or abort(404)
    form = HandoverRecordForm()
    try:
        if not form.validate_on_submit():
            raise PayoutError(first_error(form) or _("Please check the form."))
        record_handover(payout, household_id, form.handed_over_on.data, form.method.data, current_user.id,
                        form.note.data or "")
        db.session.commit()
    except PayoutError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _statement_page(payout, form, household_id, 400)
    flash(_("The handover is recorded."), "success")
    return redirect(url_for("coop.payout_statement", payout_id=payout.id, _anchor=f"household-{household_id}"))
