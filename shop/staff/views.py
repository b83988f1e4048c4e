"""The staff back office. Owns no models; every route needs a staff or admin user."""
from functools import wraps

from flask import Blueprint, abort, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

bp = Blueprint("staff", __name__, url_prefix="/staff")


def staff_required(view):
    """Allow only staff and admins; other signed-in users get 403 (guests are sent to log in)."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.can_staff:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def admin_required(view):
    """Allow only admins (users and settings); staff and other signed-in users get 403."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


MENU = (  # endpoint, label; back-office sections register here as they are built
    ("staff.applications", _l("Cooperative applications")), ("staff.coops", _l("Cooperatives")),
    ("staff.orders", _l("Orders and refunds")),
    ("staff.flags", _l("Payments to review")), ("staff.households", _l("Households")),
    ("staff.poor_proposals", _l("Registered-poor proposals")),
    ("staff.reports", _l("Household income")), ("staff.payouts", _l("Payouts")),
    ("staff.payouts_waiting", _l("Households waiting for their part")),
    ("staff.audit", _l("Audit log")), ("staff.users", _l("Users")), ("staff.settings", _l("Settings")),
)
ADMIN_ONLY = {"staff.users", "staff.settings"}  # menu entries only admins see (their routes use admin_required)


@bp.app_context_processor
def staff_menu_processor():
    from flask import current_app

    return {"staff_menu": lambda: [(e, label) for e, label in MENU if e in current_app.view_functions
                                   and (e not in ADMIN_ONLY or getattr(current_user, "is_admin", False))]}


@bp.get("")
@staff_required
def dashboard():
    from shop.reports.dashboard import build_dashboard, dashboard_chart

    dash = build_dashboard()
    return render_template("staff/dashboard.html", dash=dash, chart=dashboard_chart(dash))
