"""Review (i18n): every page a role can open, drawn in Chinese, shows none of the shop's English interface
strings, and drawn in English none of its Chinese ones; nor a raw code such as "awaiting_fulfilment". What
people typed (names, stories) is theirs and not checked: only whole texts that are the catalogue's own
messages (and differ between the languages) count, so the test does not break on a product's name."""
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import url_for

from shop.coops.fulfilment import ship_shipment
from shop.extensions import db
from shop.supply.services import record_supply_lot
from tests.coops.test_fulfilment_builders import HARVEST, CoopWorld, place_paid_order
from tests.factories import log_in, make_user

PO = Path(__file__).resolve().parent.parent / "shop/translations/zh/LC_MESSAGES/messages.po"
RAW_CODE = re.compile(r"[a-z]+(?:_[a-z]+)+")
SKIP = {"static", "main.media", "main.set_language", "main.healthz", "impact.as_json", "payments.stripe_webhook"}
AREAS = {"guest": ("/", "/products", "/coops", "/trace", "/impact", "/account/login", "/account/register",
                   "/account/forgot", "/cart", "/coop/apply"),
         "buyer": ("/orders", "/account", "/checkout", "/pay"), "coop": ("/coop",), "staff": ("/staff",)}


def _catalogue():
    with PO.open("rb") as f:
        messages = [m for m in read_po(f) if isinstance(m.id, str) and m.id and isinstance(m.string, str)]
    pairs = [(m.id.strip(), m.string.strip()) for m in messages if m.string and "%(" not in m.id]
    return {en for en, zh in pairs if en != zh}, {zh for en, zh in pairs if en != zh}


class _Texts(HTMLParser):
    """The texts a person reads or hears: text nodes, and the title, alt, aria-label and placeholder."""

    def __init__(self):
        super().__init__()
        self.texts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")
        self.texts += [v.strip() for k, v in attrs if k in ("title", "alt", "aria-label", "placeholder") and v]

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(data.strip())


@pytest.fixture
def world(app):
    with app.app_context():
        w = CoopWorld(households=3)
        lot = record_supply_lot(w.coop, w.variant.id, "6", HARVEST, [(h.id, "2") for h in w.households],
                                w.manager.id)
        buyer = make_user()
        order = place_paid_order(w.variant, 2, buyer=buyer)
        ship_shipment(order.shipments[0], "顺丰速运", "SF1234567890123")
        staff = make_user(is_staff=True, is_admin=True)
        ids = {"guest": None, "buyer": buyer.id, "coop": w.manager.id, "staff": staff.id}
        args = {"slug": w.product.slug, "code": lot.trace_code, "number": order.number, "lot_id": lot.id,
                "product_id": w.product.id, "variant_id": w.variant.id, "household_id": w.households[0].id,
                "shipment_id": order.shipments[0].id, "coop_id": w.coop.id, "table": "months", "fmt": "csv",
                "token": "x", "payout_id": 1, "run_id": 1, "user_id": buyer.id, "address_id": 1}
        db.session.commit()
    return ids, args


def _pages(app, role, args):
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SKIP or any(a not in args for a in rule.arguments):
            continue
        with app.test_request_context():
            url = url_for(rule.endpoint, **{a: args[a] for a in rule.arguments})
        if url.startswith(AREAS[role]) and (role != "guest" or rule.endpoint.split(".")[0] != "coop"
                                            or url == "/coop/apply"):
            yield url
        elif role == "guest" and rule.endpoint.startswith("catalog."):
            yield url


@pytest.mark.parametrize("role", ["guest", "buyer", "coop", "staff"])
def test_no_page_mixes_the_two_languages(app, world, role):
    user_ids, args = world
    english, chinese = _catalogue()
    wrong, seen = [], 0
    for language, foreign in (("zh", english), ("en", chinese)):
        client = app.test_client()  # one per language: a message flashed in one is not read in the other
        if user_ids[role]:
            log_in(client, user_ids[role])
        for url in sorted(set(_pages(app, role, args))):
            resp = client.get(url, headers={"Accept-Language": language})
            if resp.status_code != 200 or "html" not in resp.content_type:
                continue
            seen += 1
            parser = _Texts()
            parser.feed(resp.get_data(as_text=True))
            wrong += [(language, url, t) for t in parser.texts if t in foreign or RAW_CODE.fullmatch(t)]
    assert seen >= 4
    assert wrong == []
