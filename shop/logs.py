"""What log lines carry: the request's id (also sent back as X-Request-ID), and never a reset token."""
import logging
import re
import uuid

from flask import Flask, g, has_request_context, request
from flask.logging import default_handler

SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
RESET_TOKEN = re.compile(r"(/reset-password/)[^\s/?#\"']+")
LOG_FORMAT = "[%(asctime)s] %(levelname)s %(name)s [%(request_id)s]: %(message)s"


def request_id() -> str:
    """Return this request's id: the proxy's X-Request-ID when it is a short safe token, else a new one."""
    if "request_id" not in g:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if SAFE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
    return g.request_id


class RequestLogFilter(logging.Filter):
    """Give every record the request id, and cut reset tokens out of messages (Flask logs failing paths)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id() if has_request_context() else "-"
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed call: the handler reports it, as without this filter
            return True
        if "/reset-password/" in message:
            record.msg, record.args = RESET_TOKEN.sub(r"\1[token]", message), None
        return True


LOG_FILTER = RequestLogFilter()  # one instance: adding it again (one app per test) is then a no-op


def add_request_id(response):
    response.headers["X-Request-ID"] = request_id()
    return response


def init_app(app: Flask) -> None:
    app.logger.addFilter(LOG_FILTER)
    default_handler.addFilter(LOG_FILTER)  # also stamps records of other loggers that reach this handler
    default_handler.setFormatter(logging.Formatter(LOG_FORMAT))
    if not logging.getLogger().handlers:  # nobody configured logging: Flask-Limiter's warnings would be lost
        logging.getLogger("flask-limiter").addHandler(default_handler)
    app.after_request(add_request_id)
