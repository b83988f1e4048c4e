"""Public trace pages: /trace/<code> for every supply lot, reached from a label's QR code, the product page,
an order, or the search box. Works without JavaScript."""
from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l

from shop.pagecache import depends_on_coops
from shop.trace.services import get_trace_page, shipment_lot_codes, trace_date, trace_qr
from shop.web import render_error

bp = Blueprint("trace", __name__, url_prefix="/trace")
bp.add_app_template_global(trace_qr, "trace_qr")
bp.add_app_template_filter(trace_date, "trace_date")
bp.add_app_template_filter(shipment_lot_codes, "lot_codes")

NOT_FOUND = _l("There is no batch with this trace code. Check the code on the label: it looks like "
               "LN-WUDU-2026-00012.")


@bp.get("/<path:code>")
def lot(code: str):
    page = get_trace_page(code)
    if page is None:
        return render_error(404, NOT_FOUND)
    depends_on_coops(page.lot.variant.product.coop_id)
    return render_template("trace/lot.html", page=page)
