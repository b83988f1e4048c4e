"""Coop portal: supply lots, fulfilment and earnings (routes on the coop blueprint).

Every route is for the signed-in manager's own cooperative; anything else is 404 on every method."""
from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import AnyOf, DataRequired, Length, ValidationError

from shop.coops.fulfilment import (get_packing_slip, list_recently_shipped, list_shipments_to_ship,
                                   notify_buyer_shipped, refunded_units, ship_shipment)
from shop.coops.portal import bp, current_coop, manager_required
from shop.extensions import db
from shop.i18n import lang
from shop.orders.models import SHIPPABLE_ORDER_STATUSES
from shop.orders.carriers import (BY_CODE, CARRIERS, OTHER, TrackingNumberError, carrier_label,
                                  normalize_tracking)
from shop.reports.earnings import build_earnings_report, earnings_chart, earnings_csv
from shop.reports.forms import PeriodForm
from shop.supply.forms import (MAX_LABELS, LabelSheetForm, LotAdjustForm, LotRecordForm, default_label_count,
                               label_sheets, share_balance)
from shop.supply.services import (LotError, LotRepeated, NotOwned, adjust_lot, get_coop_lot, list_coop_households,
                                  list_coop_variants, list_lot_adjustments, list_lot_stock, record_supply_lot)
from shop.trace.services import trace_qr


class ShipmentShipForm(FlaskForm):
    carrier = SelectField(_l("Carrier"), validate_choice=False, validators=[
        AnyOf([c.code for c in CARRIERS] + [OTHER], message=_l("Choose the carrier that took the parcel."))])
    carrier_other = StringField(_l("Other carrier's name"), validators=[
        Length(max=40, message=_l("Please use at most %(max)d characters."))])
    tracking_no = StringField(_l("Tracking number"), validators=[
        DataRequired(message=_l("Enter the tracking number from the carrier's receipt.")),
        Length(max=60, message=_l("Please use at most %(max)d characters."))])
    submit = SubmitField(_l("Mark shipped"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.carrier.choices = [SelectChoice("", _l("Choose…"))] + [
            SelectChoice(c.code, carrier_label(c)) for c in CARRIERS] + [SelectChoice(OTHER, _l("Other carrier"))]

    def validate_carrier_other(self, field):
        if self.carrier.data == OTHER and not (field.data or "").strip():
            raise ValidationError(_l("Enter the name of the carrier, for example 德邦快递."))

    def validate_tracking_no(self, field):
        try:
            field.data = normalize_tracking(self.carrier.data, field.data)
        except TrackingNumberError as e:
            raise ValidationError(str(e)) from None

    @property
    def carrier_stored(self) -> str:
        """The carrier as the shipment stores it: a listed carrier's Chinese name, or the name typed."""
        listed = BY_CODE.get(self.carrier.data)
        return listed.name_zh if listed else self.carrier_other.data.strip()


def _own_lot(lot_id: int):
    return get_coop_lot(current_user.coop_id, lot_id) or abort(404)


def _lot_form(coop_id: int) -> LotRecordForm:
    form = LotRecordForm()
    form.set_choices(list_coop_variants(coop_id), list_coop_households(coop_id))
    return form


@bp.get("/lots")
@manager_required
def lots():
    variant_id = request.args.get("variant", type=int)
    variants = list_coop_variants(current_user.coop_id)
    if variant_id is not None and variant_id not in {v.id for v in variants}:
        abort(404)
    return render_template("coop/lots.html", variants=variants, variant_id=variant_id,
                           stock=list_lot_stock(current_user.coop_id, variant_id))


def _remember_last_lot(form: LotRecordForm) -> None:
    session["last_lot"] = {"variant_id": form.variant_id.data, "unit": form.unit.data,
                           "harvested_on": form.harvested_on.data.isoformat()}


def _fill_from_last_lot(form: LotRecordForm) -> None:
    """Start a new lot with the variant, unit and harvest date of the manager's previous one."""
    last = session.get("last_lot") or {}
    if last.get("variant_id") in {c.value for c in form.variant_id.choices}:
        form.variant_id.data = last["variant_id"]
    if last.get("unit") in ("units", "kg"):
        form.unit.data = last["unit"]
    try:
        form.harvested_on.data = date.fromisoformat(last.get("harvested_on", ""))
    except (TypeError, ValueError):
        pass


@bp.route("/lots/new", methods=["GET", "POST"])
@manager_required
def lot_new():
    coop = current_coop()
    form = _lot_form(coop.id)
    status = 200
    if request.method == "GET":
        _fill_from_last_lot(form)
    elif form.add_rows.data:  # "Add rows" without JavaScript: show the form again with everything typed
        form.add_blank_rows()
    elif form.validate_on_submit():
        try:
            lot = record_supply_lot(coop, form.variant_id.data, form.amount.data, form.harvested_on.data,
                                    form.share_entries(), current_user.id, unit=form.unit.data,
                                    once=True)
        except NotOwned:
            abort(404)
        except LotRepeated as e:
            db.session.rollback()
            flash(_("Lot %(code)s was recorded with these units a moment ago; the form was sent twice, so it was "
                    "not recorded again. If this is another delivery, record it in two minutes.",
                    code=e.lot.trace_code), "warning")
            return redirect(url_for("coop.lot_label", lot_id=e.lot.id))
        except LotError as e:
            db.session.rollback()
            form.form_errors.append(str(e))
            status = 400
        else:
            db.session.commit()
            _remember_last_lot(form)
            flash(_("Lot %(code)s recorded: %(n)d units are now on sale.", code=lot.trace_code,
                    n=lot.units_received), "success")
            return redirect(url_for("coop.lot_label", lot_id=lot.id))
    else:
        status = 400
    return render_template("coop/lot_new.html", form=form, has_variants=bool(form.variant_id.choices[1:]),
                           balance=share_balance(form)), status


@bp.get("/lots/<int(max=2147483647):lot_id>")
@manager_required
def lot_detail(lot_id: int):
    lot = _own_lot(lot_id)
    return render_template("coop/lot_detail.html", lot=lot, stock=list_lot_stock(current_user.coop_id, lot_ids=[lot.id])[0],
                           adjustments=list_lot_adjustments(lot.id), form=LotAdjustForm())


@bp.route("/lots/<int(max=2147483647):lot_id>/adjust", methods=["GET", "POST"])
@manager_required
def lot_adjust(lot_id: int):
    lot = _own_lot(lot_id)
    form = LotAdjustForm()
    if request.method == "GET":  # the form lives on the lot page
        return redirect(url_for("coop.lot_detail", lot_id=lot.id))
    if form.validate_on_submit():
        try:
            adjust_lot(lot, form.units_delta, form.reason.data, current_user.id, once=True)
        except LotError as e:
            db.session.rollback()
            form.form_errors.append(str(e))
        else:
            db.session.commit()
            flash(_("The correction was saved."), "success")
            return redirect(url_for("coop.lot_detail", lot_id=lot.id))
    return render_template("coop/lot_detail.html", lot=lot, form=form, adjustments=list_lot_adjustments(lot.id),
                           stock=list_lot_stock(current_user.coop_id, lot_ids=[lot.id])[0]), 400


@bp.get("/lots/<int(max=2147483647):lot_id>/label")
@manager_required
def lot_label(lot_id: int):
    lot = _own_lot(lot_id)
    return render_template("coop/lot_label.html", lot=lot, coop=current_coop(), qr=trace_qr(lot.trace_code))


@bp.get("/lots/<int(max=2147483647):lot_id>/labels")
@manager_required
def lot_labels(lot_id: int):
    """Several copies of a lot's label on A4 sheets, eight to a sheet. The label's data and QR code are made
    once and repeated by the template, so the page costs the same queries for 1 label as for 40."""
    lot = _own_lot(lot_id)
    form = LabelSheetForm(request.args)
    status = 200
    if "count" not in request.args:
        form.count.data = default_label_count(lot.units_received)
        sheets = label_sheets(form.count.data)
    elif form.validate():
        sheets = label_sheets(form.count.data)
    else:
        sheets, status = [], 400
    return render_template("coop/lot_labels.html", lot=lot, coop=current_coop(), qr=trace_qr(lot.trace_code),
                           form=form, sheets=sheets, max_labels=MAX_LABELS), status


@bp.get("/shipments")
@manager_required
def shipments():
    to_ship = list_shipments_to_ship(current_user.coop_id)
    return render_template("coop/shipments.html", to_ship=to_ship, refunded=refunded_units(to_ship),
                           shipped=list_recently_shipped(current_user.coop_id))


@bp.get("/shipments/<int(max=2147483647):shipment_id>")
@manager_required
def shipment_slip(shipment_id: int):
    shipment = get_packing_slip(current_user.coop_id, shipment_id) or abort(404)
    return _slip(shipment, ShipmentShipForm())


def _slip(shipment, form: ShipmentShipForm, status: int = 200):
    refunded = refunded_units([shipment])
    to_send = sum(line.quantity - refunded.get(line.id, 0) for line in shipment.lines)
    return render_template("coop/shipment_slip.html", shipment=shipment, form=form, refunded=refunded,
                           to_send=to_send, shippable=SHIPPABLE_ORDER_STATUSES), status


@bp.route("/shipments/<int(max=2147483647):shipment_id>/ship", methods=["GET", "POST"])
@manager_required
def shipment_ship(shipment_id: int):
    shipment = get_packing_slip(current_user.coop_id, shipment_id) or abort(404)
    form = ShipmentShipForm()
    if request.method == "GET":  # the form lives on the packing slip
        return redirect(url_for("coop.shipment_slip", shipment_id=shipment.id))
    if not form.validate_on_submit():
        return _slip(shipment, form, 400)
    if not ship_shipment(shipment, form.carrier_stored, form.tracking_no.data):
        form.form_errors.append(_("This shipment is not waiting to be shipped; nothing was changed."))
        return _slip(shipment, form, 409)
    db.session.commit()
    if notify_buyer_shipped(shipment):
        flash(_("Marked shipped. The buyer was told the tracking number."), "success")
    else:
        flash(_("Marked shipped. The tracking number could not be e-mailed to the buyer; they see it on their "
                "order page."), "warning")
    return redirect(url_for("coop.shipments"))


@bp.get("/earnings")
@manager_required
def earnings():
    form = PeriodForm(request.args)
    report = build_earnings_report(current_user.coop_id, *form.period())
    return render_template("coop/earnings.html", form=form, report=report, chart=earnings_chart(report))


@bp.get("/earnings/<any(products, months, households):table>.csv")
@manager_required
def earnings_export(table: str):
    report = build_earnings_report(current_user.coop_id, *PeriodForm(request.args).period())
    return Response(earnings_csv(report, table, lang()).encode("utf-8"), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="earnings-{table}.csv"',
                             "Cache-Control": "no-store"})
