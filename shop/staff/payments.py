"""Back office: orders and refunds, and payments to review (routes on the staff blueprint)."""
import secrets

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError

from shop.audit.services import record_audit
from shop.extensions import db
from shop.payments import backoffice
from shop.payments.forms import FlagResolveForm, RefundCreateForm
from shop.payments.refunds import RefundError, get_refund_by_key, request_refund, send_refund
from shop.staff.views import bp, staff_required
from shop.web import first_error, page_arg, search_args

ID = "int(max=2147483647)"
SENT = {"succeeded": "success", "pending": "warning", "failed": "error"}


def _said(status: str) -> str:
    return {"succeeded": _("The refund went through."),
            "pending": _("The refund is waiting for the payment service; it will be retried, or retry it below."),
            "failed": _("The payment service refused the refund; nothing was refunded.")}[status]


LABELS = {"refund_labels": backoffice.REFUND_LABELS, "flag_labels": backoffice.FLAG_LABELS,
          "account_labels": backoffice.ACCOUNT_LABELS, "txn_labels": backoffice.TXN_LABELS,
          "provider_labels": backoffice.PROVIDER_LABELS}


@bp.get("/orders")
@staff_required
def orders():
    from shop.i18n import lang, status_label
    from shop.orders.models import ORDER_STATUSES
    from shop.reports.forms import OrderSearchForm
    from shop.reports.income import list_filter_choices

    form = OrderSearchForm(request.args)
    form.set_choices(list_filter_choices()[2], [(s, status_label(s)) for s in ORDER_STATUSES], lang())
    search = form.search()
    found = backoffice.list_staff_orders(search, page_arg(), current_app.config["PER_PAGE"]) if search else None
    args = search_args(form)
    return render_template("staff/orders.html", orders=found, form=form, args=args,
                           provider_labels=backoffice.PROVIDER_LABELS)


def _refund_form(money) -> RefundCreateForm:
    form = RefundCreateForm()
    while len(form.quantities) < len(money.order.lines):
        form.quantities.append_entry()
    return form


@bp.get("/orders/<number>")
@staff_required
def order(number: str):
    money = backoffice.get_order_money(number[:24]) or abort(404)
    form = _refund_form(money)
    # The refund's idempotency key, made with the page: a post without one is refused as expired, never given
    # a fresh key (sent twice, it would refund twice).
    form.token.data = secrets.token_urlsafe(24)
    # Nothing sent yet: the units are still in the cooperative's store, so by default they go back on sale.
    form.restock.data = all(s.shipped_at is None for s in money.order.shipments)
    return _order_page(money, form)


def _order_page(money, form, code: int = 200):
    """The order's page for staff; the look at its households' names is logged and kept."""
    trace = backoffice.get_order_trace(money.order, current_user.id)
    db.session.commit()
    return render_template("staff/orders_detail.html", money=money, trace=trace, form=form, action=FlaskForm(),
                           **LABELS), code


@bp.post("/orders/<number>/refund")
@staff_required
def order_refund(number: str):
    money = backoffice.get_order_money(number[:24]) or abort(404)
    form = _refund_form(money)
    if not form.validate_on_submit() or len(form.quantities) != len(money.order.lines):
        flash(first_error(form) or _("Please check the form."), "error")
        return _order_page(money, form, 400)
    quantities = {line.id: entry.data or 0 for line, entry in zip(money.order.lines, form.quantities)}
    key = f"staff-{form.token.data}"
    try:
        refund = request_refund(money.order, mode=form.mode.data, key=key,
                                staff_id=current_user.id, amount_fen=getattr(form.amount, "parsed_fen", 0),
                                quantities=quantities, restock=form.restock.data, reason=form.reason.data or "")
        db.session.commit()
    except IntegrityError:  # the same form, submitted twice at once: the other request wrote the refund
        db.session.rollback()
        refund = get_refund_by_key(key)
        if refund is None:
            raise
    except RefundError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _order_page(money, form, 400)
    status = send_refund(refund)
    flash(_said(status), SENT[status])
    return redirect(url_for("staff.order", number=number))


@bp.post(f"/refunds/<{ID}:refund_id>/retry")
@staff_required
def refund_retry(refund_id: int):
    refund = backoffice.get_refund(refund_id) or abort(404)
    back = url_for("staff.flags") if refund.flag_id else url_for("staff.order", number=refund.order.number)
    if FlaskForm().validate_on_submit():
        if refund.status == "pending":  # a settled refund is not sent again: nothing to retry, nothing to log
            record_audit("refund_retried", f"refund:{refund.id}", f"order {refund.order.number}, "
                         f"{refund.amount_fen} fen", current_user.id)
            db.session.commit()
        status = send_refund(refund)
        flash(_said(status), SENT[status])
    return redirect(back)


@bp.get("/flags")
@staff_required
def flags():
    return render_template("staff/flags.html", flags=backoffice.list_open_flags(), action=FlaskForm(),
                           resolve=FlagResolveForm(), **LABELS)


@bp.post(f"/flags/<{ID}:flag_id>/refund")
@staff_required
def flag_refund(flag_id: int):
    flag = backoffice.get_flag(flag_id) or abort(404)
    if not FlaskForm().validate_on_submit():
        return redirect(url_for("staff.flags"))
    try:
        refund = backoffice.refund_flagged_payment(flag)
        record_audit("flag_refunded", f"flag:{flag.id}", f"refund {refund.id}, {refund.amount_fen} fen", current_user.id)
        db.session.commit()
    except RefundError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("staff.flags"))
    status = send_refund(refund)
    flash(_said(status), SENT[status])
    return redirect(url_for("staff.flags"))


@bp.post(f"/flags/<{ID}:flag_id>/resolve")
@staff_required
def flag_resolve(flag_id: int):
    flag = backoffice.get_flag(flag_id) or abort(404)
    form = FlagResolveForm()
    if form.validate_on_submit() and backoffice.resolve_flag(flag, current_user.id, form.note.data):
        db.session.commit()
        flash(_("The payment is marked as handled."), "success")
    else:
        flash(first_error(form) or _("This payment was already handled."), "error")
    return redirect(url_for("staff.flags"))
