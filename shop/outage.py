"""A database that drops or refuses connections answers a friendly 503 page, rendered without the database."""
from flask import Flask, current_app, g
from sqlalchemy.exc import DisconnectionError, OperationalError, SQLAlchemyError

from shop.extensions import db
from shop.web import render_error


def database_unavailable(e: Exception):
    g.database_down = True  # the user loader (shop/web.py) stops asking: the page renders as for a guest
    try:
        db.session.rollback()
    except SQLAlchemyError:
        pass
    reason = getattr(e, "orig", None) or e  # the driver's words, without the statement and its values
    first_line = (str(reason).strip().splitlines() or [""])[0]
    current_app.logger.warning("Database unavailable, answered 503: %s: %s", type(reason).__name__, first_line)
    return render_error(503)


def init_app(app: Flask) -> None:
    for error in (OperationalError, DisconnectionError):
        app.register_error_handler(error, database_unavailable)
