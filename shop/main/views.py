"""Home page, health check and the language switch."""
from flask import (Blueprint, current_app, redirect, render_template, request, send_from_directory,
                   session, url_for)
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from shop.extensions import db
from shop.main.services import load_home
from shop.web import safe_next

bp = Blueprint("main", __name__)


@bp.get("/")
def home():
    return render_template("main/home.html", **load_home())


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return {"status": "degraded", "database": "unavailable"}, 503
    return {"status": "ok", "database": "ok"}


@bp.get("/lang/<code>")
def set_language(code: str):
    if code in ("zh", "en"):
        session["lang"] = code
    return redirect(safe_next(request.args.get("next"), url_for("main.home")))


@bp.get("/media/<path:filename>")
def media(filename: str):
    # send_from_directory refuses paths that leave the folder.
    return send_from_directory(current_app.config["UPLOAD_DIR"], filename, max_age=86400)
