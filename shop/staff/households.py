"""Back office: registered-poor status proposed by cooperatives, confirmed or declined by staff."""
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from shop.coops.forms import ActionForm
from shop.extensions import db
from shop.households.models import mask
from shop.households.services import decide_poor_status, list_poor_proposals
from shop.staff.views import bp, staff_required

ID = "int(max=2147483647)"


@bp.get("/households/proposals")
@staff_required
def poor_proposals():
    households = list_poor_proposals(current_user.id)
    db.session.commit()  # the access log is kept even for a look
    return render_template("staff/poor_proposals.html", households=households, action=ActionForm(), mask=mask)


@bp.post(f"/households/<{ID}:household_id>/<any(confirm, decline):decision>")
@staff_required
def poor_decision(household_id: int, decision: str):
    if not ActionForm().validate_on_submit():
        abort(400)
    if decide_poor_status(household_id, decision == "confirm", current_user.id):
        db.session.commit()
        flash(_("Registered-poor status confirmed.") if decision == "confirm"
              else _("The proposal was declined."), "success")
    else:
        flash(_("This household has no proposal waiting."), "error")
    return redirect(url_for("staff.poor_proposals"))
