"""Security headers on every response, and no-store on every response that may carry personal or money data.

Five headers do not need a dependency: see README, "Security headers".
"""
from flask import Flask, current_app, request, session

# Scripts and styles come only from /static: no inline <script>, on*= handler or style= attribute anywhere
# (tests/security/test_headers.py checks the templates).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; "
       "base-uri 'none'; frame-ancestors 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "Referrer-Policy": "same-origin",  # reset links carry a token in the path
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
# First path segments whose pages carry someone's orders, addresses, money or household data.
PRIVATE_SECTIONS = {"account", "orders", "checkout", "cart", "coop", "staff", "pay", "payments"}
PUBLIC_FILES = {"static", "main.media"}  # style sheets and product photos: the same for everyone


def is_private() -> bool:
    """Whether this response may carry personal or money data: a private section, or anyone signed in."""
    if request.endpoint in PUBLIC_FILES:
        return False
    section = request.path.lstrip("/").partition("/")[0]
    return section in PRIVATE_SECTIONS or "_user_id" in session


def add_security_headers(response):
    response.headers.update(HEADERS)
    hsts = current_app.config.get("HSTS_SECONDS")
    if hsts:
        response.headers["Strict-Transport-Security"] = f"max-age={hsts}; includeSubDomains"
    if is_private():
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
