"""The cooperative portal's blueprint and its access rule: a manager sees only their own cooperative.
Routes live in modules named for what they do (shop/coops/views_*.py) and all use this blueprint."""
from functools import wraps

from flask import Blueprint, abort, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from shop.coops.models import Cooperative
from shop.extensions import db

bp = Blueprint("coop", __name__, url_prefix="/coop")


def manager_required(view):
    """Allow only signed-in managers of a cooperative; others get 404 (nothing to discover)."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_coop_manager:
            abort(404)
        return view(*args, **kwargs)

    return wrapped


def current_coop() -> Cooperative:
    """Return the signed-in manager's cooperative."""
    return db.session.get(Cooperative, current_user.coop_id) or abort(404)


def scoped(obj, coop_id_of) -> object:
    """Return obj if it belongs to the manager's cooperative, else 404 — never 403, so ids reveal nothing."""
    if obj is None or coop_id_of(obj) != current_user.coop_id:
        abort(404)
    return obj


MENU = (  # endpoint, label; sections register here as they are built
    ("coop.products", _l("Products")), ("coop.lots", _l("Supply lots")), ("coop.members", _l("Member households")),
    ("coop.shipments", _l("Orders to ship")), ("coop.earnings", _l("Earnings")),
)


@bp.app_context_processor
def coop_menu_processor():
    from flask import current_app

    return {"coop_menu": lambda: [(e, label) for e, label in MENU if e in current_app.view_functions]}


@bp.get("")
@manager_required
def dashboard():
    return render_template("coop/dashboard.html", coop=current_coop())
