"""Back office: payouts to cooperatives — run them, download a run's bank batch, confirm or fail a
transfer, retry or cancel a failed one, and see which households still wait for their part
(routes on the staff blueprint). Every look at household names is logged."""
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from shop.audit.services import record_audit
from shop.extensions import db
from shop.households.models import mask
from shop.money import format_fen
from shop.payouts.forms import LABELS, STATUS_LABELS, PayoutFailForm, PayoutPaidForm
from shop.payouts.models import PAYOUT_STATUSES
from shop.payouts.services import (bank_batch_csv, cancel_payout, get_payout, get_run, list_payouts, list_runs,
                                   mark_payout_failed, mark_payout_paid, retry_payout, run_payouts,
                                   send_pending_stripe_payouts, send_stripe_payout, staff_statement,
                                   staff_waiting_handovers, stripe_payouts_waiting)
from shop.staff.views import bp, staff_required
from shop.web import first_error, page_arg

ID = "int(max=2147483647)"


@bp.get("/payouts")
@staff_required
def payouts():
    status = request.args.get("status", "")
    status = status if status in PAYOUT_STATUSES else ""
    return render_template("staff/payouts.html", payouts=list_payouts(status=status or None, page=page_arg()),
                           runs=list_runs(),
                           status=status, statuses=PAYOUT_STATUSES, action=FlaskForm(),
                           stripe_waiting=stripe_payouts_waiting(), **LABELS)


def _ran(run) -> str:
    if run is None:
        return _("No cooperative is owed the minimum payout; nothing was created.")
    return _("Run %(run)d: %(n)d payout(s), %(total)s in all.", run=run.id, n=len(run.payouts),
             total=format_fen(sum(p.signed_fen for p in run.payouts)))


@bp.post("/payouts/run")
@staff_required
def payouts_run():
    run = run_payouts(current_user.id)
    db.session.commit()  # Stripe is asked afterwards, by the scheduled `payouts send` or the send button
    flash(_ran(run), "success" if run else "warning")
    return redirect(url_for("staff.payouts"))


# A click sends a few, so that the request stays short whatever Stripe does; cron sends the rest.
SEND_PER_CLICK = 5


@bp.post("/payouts/send")
@staff_required
def payouts_send():
    sent = send_pending_stripe_payouts(limit=SEND_PER_CLICK, user_id=current_user.id)
    flash(_("Stripe transfers: %(counts)s.", counts=", ".join(
        f"{n} {STATUS_LABELS[status]}" for status, n in sorted(sent.items()))) if sent
          else _("No Stripe payout is waiting to be sent."), "error" if "failed" in sent else "success")
    return redirect(url_for("staff.payouts"))


@bp.get(f"/payouts/runs/<{ID}:run_id>.csv")
@staff_required
def payout_run_csv(run_id: int):
    run = get_run(run_id) or abort(404)
    body = bank_batch_csv(run).encode("utf-8")
    # The file holds the account numbers in full, as the bank needs them: a reveal, in the audit log.
    record_audit("payout_run_exported", f"run:{run.id}", "bank_account_no", current_user.id)
    db.session.commit()
    return Response(body, content_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="payout-run-{run.id}.csv"', "Cache-Control": "no-store"})


@bp.get("/payouts/waiting")
@staff_required
def payouts_waiting():
    waiting = staff_waiting_handovers(current_user.id)
    db.session.commit()  # the access log is kept even for a look
    return render_template("staff/payouts_waiting.html", waiting=waiting)


def _detail(payout_id: int, paid: PayoutPaidForm | None = None, fail: PayoutFailForm | None = None, code: int = 200):
    statement = staff_statement(payout_id, current_user.id) or abort(404)
    db.session.commit()  # the access log is kept even for a look
    return render_template("staff/payout_detail.html", statement=statement, payout=statement.payout,
                           paid=paid or PayoutPaidForm(formdata=None), fail=fail or PayoutFailForm(formdata=None),
                           action=FlaskForm(), mask=mask, **LABELS), code


@bp.get(f"/payouts/<{ID}:payout_id>")
@staff_required
def payout(payout_id: int):
    return _detail(payout_id)


def _refused(payout_id: int, message: str, **forms):
    db.session.rollback()
    flash(message, "error")
    return _detail(payout_id, code=400, **forms)


def _audit(action: str, payout, detail: str = "") -> None:
    record_audit(action, f"payout:{payout.id}", f"{payout.signed_fen} fen" + (f", {detail}" if detail else ""),
                 current_user.id)


def _confirm_bank_transfer(payout_id: int, form, form_name: str, confirm, refused: str, done: str, category: str,
                           action: str, detail: str):
    """Mark a bank transfer paid or failed from its form: validate, confirm once, audit, commit, say so."""
    payout = get_payout(payout_id) or abort(404)
    if not form.validate_on_submit():
        return _refused(payout_id, first_error(form) or _("Please check the form."), **{form_name: form})
    if payout.method != "bank" or not confirm(payout.id):
        return _refused(payout_id, refused, **{form_name: form})
    _audit(action, payout, detail)
    db.session.commit()
    flash(done % {"number": payout.number}, category)
    return redirect(url_for("staff.payout", payout_id=payout_id))


@bp.post(f"/payouts/<{ID}:payout_id>/paid")
@staff_required
def payout_paid(payout_id: int):
    form = PayoutPaidForm()
    return _confirm_bank_transfer(payout_id, form, "paid", lambda pid: mark_payout_paid(pid, form.reference.data),
                                  _("Only a bank transfer that is being sent can be marked paid."),
                                  _("Payout %(number)s is marked paid."), "success", "payout_paid",
                                  f"reference {form.reference.data}")


@bp.post(f"/payouts/<{ID}:payout_id>/failed")
@staff_required
def payout_failed(payout_id: int):
    form = PayoutFailForm()
    return _confirm_bank_transfer(payout_id, form, "fail", lambda pid: mark_payout_failed(pid, form.reason.data),
                                  _("Only a bank transfer that is being sent can be marked failed."),
                                  _("Payout %(number)s is marked failed. Retry it or cancel it."), "warning",
                                  "payout_failed", f"reason: {form.reason.data}")


@bp.post(f"/payouts/<{ID}:payout_id>/retry")
@staff_required
def payout_retry(payout_id: int):
    payout = get_payout(payout_id) or abort(404)
    if not retry_payout(payout.id):
        return _refused(payout_id, _("Only a failed payout can be retried."))
    db.session.refresh(payout)
    _audit("payout_retried", payout, f"try {payout.attempt}, {payout.method}")
    db.session.commit()
    status = send_stripe_payout(payout, current_user.id)  # a Stripe payout is sent now; a bank one waits for the next batch
    flash(_("Payout %(number)s is sent again: %(status)s.", number=payout.number, status=STATUS_LABELS[status]),
          "error" if status == "failed" else "success")
    return redirect(url_for("staff.payout", payout_id=payout_id))


@bp.post(f"/payouts/<{ID}:payout_id>/cancel")
@staff_required
def payout_cancel(payout_id: int):
    payout = get_payout(payout_id) or abort(404)
    if not cancel_payout(payout.id):
        return _refused(payout_id, _("Only a failed payout can be cancelled."))
    _audit("payout_cancelled", payout)
    db.session.commit()
    flash(_("Payout %(number)s is cancelled; what it covered joins the next run.", number=payout.number), "success")
    return redirect(url_for("staff.payout", payout_id=payout_id))
