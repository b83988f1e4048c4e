"""A database that drops or refuses connections answers a friendly 503 page, rendered without the database."""
from flask import Flask, current_app, g
from sqlalchemy.exc import (DBAPIError, DisconnectionError, InterfaceError, OperationalError, PendingRollbackError,
                            SQLAlchemyError)

from shop.extensions import db
from shop.web import render_error


def lost_connection(e: Exception) -> bool:
    """True when the error means the database went away, not that our statement was wrong.

    A restart shows up as OperationalError (refused, shut down), InterfaceError (the driver's
    connection object was already closed), any DBAPIError SQLAlchemy marked as a disconnect, or a
    PendingRollbackError left behind by one of those in the same session.
    """
    if isinstance(e, (OperationalError, InterfaceError, DisconnectionError, PendingRollbackError)):
        return True
    return isinstance(e, DBAPIError) and e.connection_invalidated


def database_unavailable(e: Exception):
    if not lost_connection(e):
        raise e  # a real bug: Flask logs it and answers the plain 500 page
    g.database_down = True  # the user loader (shop/web.py) stops asking: the page renders as for a guest
    try:
        db.session.rollback()
    except SQLAlchemyError:
        pass
    reason = getattr(e, "orig", None) or e  # the driver's words, without the statement and its values
    first_line = (str(reason).strip().splitlines() or [""])[0]
    current_app.logger.warning("Database unavailable, answered 503: %s: %s", type(reason).__name__, first_line)
    return render_error(503)


def release_session(exc: BaseException | None) -> None:
    """End the request's session; if the database went away after the response was made (the ROLLBACK that
    closes the session fails), log it instead of turning a finished response into a 500."""
    try:
        db.session.remove()
    except SQLAlchemyError as e:
        db.session.registry.clear()  # the connection is invalidated; the pool replaces it
        reason = getattr(e, "orig", None) or e
        first_line = (str(reason).strip().splitlines() or [""])[0]
        current_app.logger.warning("Database went away while ending a request: %s: %s", type(reason).__name__,
                                   first_line)


def init_app(app: Flask) -> None:
    for error in (DBAPIError, DisconnectionError, PendingRollbackError):
        app.register_error_handler(error, database_unavailable)
    # Registered after Flask-SQLAlchemy's own teardown, so it runs before it (Flask runs them in reverse).
    app.teardown_appcontext(release_session)
