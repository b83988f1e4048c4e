"""Blueprints, error pages, the user loader and CLI commands, wired onto the app."""
import logging
from urllib.parse import urlsplit

from flask import Flask, current_app, g, has_request_context, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from shop.extensions import db, login_manager

ERROR_TEXT = {
    400: _l("The request could not be understood. Please check what you entered and try again."),
    403: _l("You do not have access to this page."),
    404: _l("We could not find that page. It may have been removed, or the address is wrong."),
    405: _l("That action is not allowed here."),
    409: _l("That changed while you were looking. Please reload and try again."),
    413: _l("That file is too large."),
    429: _l("Too many attempts. Please wait a minute and try again."),
    500: _l("Something went wrong on our side. Nothing was charged; please try again."),
    503: _l("The shop is briefly unavailable. Please try again in a minute."),
}


def render_error(code: int, message: str | None = None):
    text = message or ERROR_TEXT.get(code, ERROR_TEXT[400])
    if request.accept_mimetypes.best == "application/json" or request.path.startswith("/healthz"):
        return {"error": str(text)}, code
    return render_template("error.html", code=code, message=text), code


NAV = (  # endpoint, label, who sees it
    ("catalog.index", _l("Products"), lambda u: True),
    ("cart.view", _l("Cart"), lambda u: True),
    ("impact.page", _l("Where the money went"), lambda u: not (u.is_authenticated and (u.can_staff or u.is_coop_manager))),
    ("orders.index", _l("My orders"), lambda u: u.is_authenticated),
    ("coop.dashboard", _l("My cooperative"), lambda u: u.is_authenticated and u.is_coop_manager),
    ("staff.dashboard", _l("Back office"), lambda u: u.is_authenticated and u.can_staff),
    ("accounts.profile", _l("Account"), lambda u: u.is_authenticated),
    ("accounts.login", _l("Log in"), lambda u: not u.is_authenticated),
)


def safe_next(target: str | None, default: str) -> str:
    """Return target if it is a path on this site, else default (no open redirects). A control character (a
    CR/LF would end the Location header, and Werkzeug refuses it with a 500) makes it no path of ours."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target \
            or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return default
    parts = urlsplit(target)
    return default if parts.scheme or parts.netloc else target


def public_url(endpoint: str, **values) -> str:
    """Absolute URL for links that leave the site (e-mails, QR codes on printed labels).

    The host is PUBLIC_BASE_URL, else the first of TRUSTED_HOSTS, never the request's Host header, so a forged
    header cannot put another site's address on a label or in a mail. A development shop configured with
    neither uses the address it is being browsed at (or localhost from the command line)."""
    cfg = current_app.config
    base = cfg.get("PUBLIC_BASE_URL") or ""
    if not base and cfg.get("TRUSTED_HOSTS"):
        base = f"{cfg['PREFERRED_URL_SCHEME']}://{cfg['TRUSTED_HOSTS'][0]}"
    if not base:
        base = request.host_url if has_request_context() else "http://localhost:5000"
    parts = urlsplit(base)
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)


def guest_same_origin() -> bool:
    """Whether this POST comes from a visitor who is not signed in (no remember cookie either) and says it comes
    from one of this shop's own pages (Origin, or Referer when a browser sends no Origin; Sec-Fetch-Site when
    sent). Another site's form is named by its Origin, and no account can be acted for. The cart accepts such
    a POST without a CSRF token, so that the product page a visitor without cookies gets can be one stored
    page for all, and a second add from such a page (another tab, the back button) still works once the first
    one made a session (docs/PERFORMANCE.md)."""
    if request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")) \
            or current_user.is_authenticated \
            or request.headers.get("Sec-Fetch-Site", "same-origin") != "same-origin":
        return False
    try:
        parts = urlsplit(request.headers.get("Origin") or request.headers.get("Referer") or "")
    except ValueError:  # not a URL (an unclosed IPv6 bracket): not ours
        return False
    return bool(parts.scheme and parts.netloc) and (parts.scheme, parts.netloc) == (request.scheme, request.host)


def first_error(form) -> str:
    """Return the first validation message of a form, for a flash message."""
    for errors in form.errors.values():
        for error in errors:
            return str(error)
    return ""


def search_args(form) -> dict:
    """The query string's values of the search form's own fields, to carry into pager and download links. Any
    other name is left out: passed on to url_for(), "endpoint", "_method" or a route's own argument ("fmt")
    would break the page (a 500), and "_external" / "_scheme" would choose the link's address."""
    names = {field.name for field in form}
    return {k: v for k, v in request.args.items() if k in names}


def page_arg() -> int:
    """Return the ?page= number, clamped to what a query can use."""
    return min(max(request.args.get("page", 1, type=int), 1), 10_000)


def refuse_nul_bytes():
    """Answer 400 to a path or form carrying a NUL byte, which PostgreSQL text cannot hold.
    (Query strings are parsed by their pages: search drops control characters, numbers fail to parse.)"""
    values = [request.path, *(request.form.values() if request.form else ())]
    if any("\x00" in value for value in values):
        return render_error(400)
    return None


def nav_links(app: Flask) -> list[tuple[str, str]]:
    """Return the menu entries the current user may use."""
    return [(e, label) for e, label, allowed in NAV if e in app.view_functions and allowed(current_user)]


def init_app(app: Flask) -> None:
    from shop.accounts.models import User

    @login_manager.user_loader
    def load_user(session_id: str):
        # The whole id must match: the session version (raised at logout) and the password fingerprint too.
        user_id = session_id.partition(":")[0]
        if g.get("database_down") or not (user_id.isdigit() and len(user_id) < 10):
            return None  # shop.outage sets database_down: the 503 page then renders as for a guest
        user = db.session.get(User, int(user_id))
        return user if user is not None and user.is_active and user.get_id() == session_id else None

    app.before_request(refuse_nul_bytes)
    app.logger.setLevel(logging.INFO)  # mail notices (who, which subject) and outage warnings go to this log
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to continue.")

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        return render_error(400, _l("The form expired. Please go back, reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        db.session.rollback()
        return render_error(e.code or 500)

    @app.context_processor
    def navigation():
        return {"nav_links": lambda: nav_links(app), "has_endpoint": lambda e: e in app.view_functions}

    from shop.main.views import bp as main_bp

    app.register_blueprint(main_bp)
    from shop.catalog.views import bp as catalog_bp
    app.register_blueprint(catalog_bp)
    from shop.accounts.views import bp as accounts_bp
    app.register_blueprint(accounts_bp)
    from shop.impact.views import bp as impact_bp
    app.register_blueprint(impact_bp)
    from shop.trace.views import bp as trace_bp
    app.register_blueprint(trace_bp)

    from shop.cart.views import bp as cart_bp
    from shop.checkout.views import bp as checkout_bp
    from shop.coops import views_catalog, views_fulfilment, views_payouts, views_profile  # noqa: F401 - routes on the coop blueprint
    from shop.coops.portal import bp as coop_bp
    from shop.orders.views import bp as orders_bp
    from shop.payments.views import bp as payments_bp
    from shop.staff import applications, audit, coops, households, payments, payouts, reports, users  # noqa: F401 - routes on the staff blueprint
    from shop.staff.views import bp as staff_bp

    for blueprint in (cart_bp, checkout_bp, orders_bp, payments_bp, coop_bp, staff_bp):
        app.register_blueprint(blueprint)

    from shop.cli import register_cli

    register_cli(app)
