"""The public application form: a cooperative asks to sell in the shop (routes on the coop blueprint,
open to everyone; staff decide in the back office)."""
from flask import render_template
from flask_babel import gettext as _

from shop.coops import services as svc
from shop.coops.forms import CoopApplyForm, village_choices
from shop.coops.portal import bp
from shop.extensions import db, limiter


@bp.route("/apply", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"])
def apply():
    form = CoopApplyForm()
    form.set_choices(village_id=village_choices(svc.list_villages(), _("Choose the village…")))
    if form.validate_on_submit():
        try:
            coop = svc.apply_as_cooperative(**form.data_for_service())
            db.session.commit()
        except svc.PortalError as error:
            db.session.rollback()
            form[error.field or "name_zh"].errors = list(form[error.field or "name_zh"].errors) + [error.message]
        else:
            return render_template("coop/apply_sent.html", coop=coop)
    return render_template("coop/apply.html", form=form), 400 if form.errors else 200
