"""Security headers on every response of every GET route, in every role; no-store wherever personal or money
data may be; HSTS in production only; and no inline script or style in any template (the policy forbids them)."""
import os
import re
from pathlib import Path

import pytest
from flask import url_for

from shop.extensions import db
from tests.factories import log_in, make_coop, make_user

PRIVATE_PREFIXES = ("/account", "/orders", "/checkout", "/cart", "/coop/", "/staff", "/pay")
ODD = {"IntegerConverter": 2147483647, "PathConverter": "no-such-file.jpg"}


def _urls(app):
    """Yield one URL per GET rule (every value of an any() argument), with real files for static and media."""
    real = {"static": {"filename": "css/shop.css"}, "main.media": {"filename": "probe.jpg"}}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        choices = [real.get(rule.endpoint) or {}]
        for arg in rule.arguments - set(choices[0]):
            converter = rule._converters[arg]
            values = sorted(converter.items) if type(converter).__name__ == "AnyConverter" else \
                [ODD.get(type(converter).__name__, "no-such-thing")]
            choices = [dict(c, **{arg: v}) for c in choices for v in values]
        with app.test_request_context():
            yield from (url_for(rule.endpoint, **values) for values in choices)


def _check(resp, url: str, signed_in: bool) -> None:
    h = resp.headers
    csp = h.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp, url
    assert h.get("X-Content-Type-Options") == "nosniff", url
    assert h.get("Referrer-Policy") and h.get("Permissions-Policy"), url
    assert re.fullmatch(r"[0-9a-f]{32}", h.get("X-Request-ID", "")), url
    assert "Strict-Transport-Security" not in h, url  # production only
    public_file = url.startswith(("/static/", "/media/"))
    if not public_file and (signed_in or url.startswith(PRIVATE_PREFIXES) or url == "/coop"):
        assert h.get("Cache-Control") == "no-store", f"{url}: {h.get('Cache-Control')}"


@pytest.mark.parametrize("role", ["guest", "buyer", "coop manager", "staff"])
def test_every_get_route_carries_the_security_headers(app, client, role):
    with open(os.path.join(app.config["UPLOAD_DIR"], "probe.jpg"), "wb") as f:
        f.write(b"\xff\xd8\xff\xe0 not really a photo")
    if role != "guest":
        with app.app_context():
            coop = make_coop() if role == "coop manager" else None
            user_id = make_user(coop_id=coop and coop.id, is_staff=role == "staff").id
            db.session.commit()
        log_in(client, user_id)
    kinds = set()
    for url in _urls(app):
        resp = client.get(url)
        resp.close()  # files are streamed
        kinds.add(resp.mimetype)
        _check(resp, url, signed_in=role != "guest")
    assert {"text/html", "text/css", "image/jpeg", "application/json"} <= kinds
    if role == "staff":  # the exports were among them, not only error pages
        assert {"text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"} <= kinds


def test_public_catalogue_pages_stay_cacheable_for_guests(client):
    assert "no-store" not in client.get("/products").headers.get("Cache-Control", "")
    assert client.get("/cart").headers["Cache-Control"] == "no-store"


def test_hsts_in_production_only(production_app):
    resp = production_app.test_client().get("/healthz", headers={"Host": "shop.example"})
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
INLINE = re.compile(r"<script(?![^>]*\ssrc=)|\son[a-z]+\s*=|\sstyle\s*=|<style|javascript:", re.IGNORECASE)


def test_no_template_has_inline_script_or_style_the_policy_would_block():
    found = [f"{path.relative_to(TEMPLATES)}: {match.group(0)}" for path in sorted(TEMPLATES.rglob("*.html"))
             for match in INLINE.finditer(path.read_text(encoding="utf-8"))]
    assert found == [], "move scripts to static/js/ and styles to static/css/"
