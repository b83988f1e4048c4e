"""Where a request comes from: the client behind PROXY_COUNT trusted proxies, on a host in TRUSTED_HOSTS."""
from flask import Flask
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix

UNKNOWN_HOST = _l("This shop does not answer to that host name.")


def refuse_unknown_host(e: SecurityError):
    # Plain text: with an untrusted Host, Flask cannot build URLs, so the error template cannot render.
    return str(UNKNOWN_HOST), 400, {"Content-Type": "text/plain; charset=utf-8"}


def init_app(app: Flask) -> None:
    hops = app.config.get("PROXY_COUNT", 0)
    if hops:
        # remote_addr (and so the rate-limit key) becomes the client's address, the scheme the client's.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    app.register_error_handler(SecurityError, refuse_unknown_host)
