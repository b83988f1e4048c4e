"""Back office: cooperative applications to approve, or reject with a reason (routes on the staff blueprint)."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from shop.audit.services import record_audit
from shop.coops import services as svc
from shop.coops.forms import ActionForm, ApplicationRejectForm
from shop.extensions import db
from shop.staff.views import bp, staff_required
from shop.web import safe_next

ID = "int(max=2147483647)"


@bp.get("/applications")
@staff_required
def applications():
    return render_template("staff/applications.html", applications=svc.list_applications(), action=ActionForm())


@bp.post(f"/applications/<{ID}:coop_id>/approve")
@staff_required
def application_approve(coop_id: int):
    """Approve from the list of applications, or from the cooperative's page (which posts next=)."""
    coop = svc.get_application(coop_id) or abort(404)
    back = safe_next(request.form.get("next"), url_for("staff.applications"))
    try:
        manager = svc.approve_cooperative(coop)
        record_audit("coop_approved", f"coop:{coop.id}", f"{coop.name_zh}, manager {manager.email}", current_user.id)
        db.session.commit()
    except svc.PortalError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(back)
    sent = svc.send_manager_invitation(coop, manager)
    flash(_("%(coop)s is approved; %(email)s manages it.", coop=coop.name_zh, email=manager.email)
          + ("" if sent else " " + _("The invitation mail could not be sent; ask them to use “Forgot password”.")),
          "success")
    return redirect(back)


@bp.route(f"/applications/<{ID}:coop_id>/reject", methods=["GET", "POST"])
@staff_required
def application_reject(coop_id: int):
    coop = svc.get_application(coop_id) or abort(404)
    form = ApplicationRejectForm()
    if form.validate_on_submit():
        try:
            svc.reject_application(coop, form.reason.data)
            record_audit("coop_rejected", f"coop:{coop.id}", f"{coop.name_zh}: {coop.rejection_reason}",
                         current_user.id)
            db.session.commit()
        except svc.PortalError as error:
            db.session.rollback()
            flash(error.message, "error")
            return redirect(url_for("staff.applications"))
        svc.send_rejection(coop)
        flash(_("The application of %(coop)s is rejected and the applicant is told why.", coop=coop.name_zh),
              "success")
        return redirect(url_for("staff.applications"))
    return render_template("staff/applications_reject.html", coop=coop, form=form), 400 if form.errors else 200
