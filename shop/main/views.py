"""Home page, health check, robots.txt and the language switch."""
from flask import (Blueprint, current_app, redirect, render_template, request, send_from_directory,
                   session, url_for)

from shop.main.health import database_status, redis_status
from shop.main.services import load_home
from shop.web import safe_next

bp = Blueprint("main", __name__)


@bp.get("/")
def home():
    return render_template("main/home.html", **load_home())


@bp.get("/healthz")
def healthz():
    """503 without the database; 200 without Redis (it only shares rate limits), reported as degraded."""
    checks = {name: status for name, status in (("database", database_status()), ("redis", redis_status()))
              if status is not None}
    overall = "ok" if all(status == "ok" for status in checks.values()) else "degraded"
    return {"status": overall, **checks}, 200 if checks["database"] == "ok" else 503


# Private pages (each answers 302 to the login or 403 anyway) and the language switch stay out of search engines.
ROBOTS_TXT = "User-agent: *\n" + "".join(f"Disallow: {path}\n" for path in (
    "/account/", "/cart", "/checkout", "/orders", "/pay/", "/payments/", "/coop/", "/staff/", "/lang/"))


@bp.get("/robots.txt")
def robots_txt():
    return ROBOTS_TXT, 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "public, max-age=86400"}


@bp.get("/lang/<code>")
def set_language(code: str):
    if code in ("zh", "en"):
        session["lang"] = code
    return redirect(safe_next(request.args.get("next"), url_for("main.home")))


@bp.get("/media/<path:filename>")
def media(filename: str):
    # send_from_directory refuses paths that leave the folder.
    return send_from_directory(current_app.config["UPLOAD_DIR"], filename, max_age=86400)
