"""Every field of the manager's forms explains itself: each control a manager fills in is described (with
aria-describedby) by a hint on the page, in English and in Chinese."""
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from shop.extensions import db
from shop.payouts.services import mark_payout_paid
from shop.supply.services import record_supply_lot
from tests.coops.test_fulfilment_builders import HARVEST, CoopWorld, place_paid_order
from tests.factories import log_in
from tests.payouts.payout_world import build, payouts

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh"}
# Controls that need no hint of their own: the lot form's share rows (their fieldset explains them, with an
# example) and the member search the script shows.
EXPLAINED_ELSEWHERE = ("shares-", "member-search")


class _Controls(HTMLParser):
    """Collect the fillable controls inside POST and GET forms, and the text of every element with an id."""

    def __init__(self):
        super().__init__()
        self.controls: list[dict] = []
        self.hints: dict[str, str] = {}
        self._open: list[str] = []  # ids of open hint elements
        self._in_form = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._in_form = True
        elif tag == "template":
            self._in_form = False  # the script's row template is not a control on the page
        if self._in_form and tag in ("input", "select", "textarea"):
            if a.get("type") not in ("hidden", "submit", "button") and a.get("name") != "csrf_token":
                self.controls.append(a)
        if tag == "small" and "hint" in (a.get("class") or "").split() and a.get("id"):
            self._open.append(a["id"])
            self.hints[a["id"]] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "template":
            self._in_form = True
        elif tag == "small" and self._open:
            self._open.pop()

    def handle_data(self, data):
        for hint_id in self._open:
            self.hints[hint_id] += data


def _unexplained(html: str) -> list[str]:
    page = _Controls()
    page.feed(html)
    assert page.controls, "no form on the page"
    missing = []
    for control in page.controls:
        name = control.get("name") or control.get("id") or "?"
        if name.startswith(EXPLAINED_ELSEWHERE):
            continue
        described = (control.get("aria-describedby") or "").split()
        if not any(page.hints.get(i, "").strip() for i in described):
            missing.append(name)
    return missing


@pytest.fixture
def manager_pages(app, client):
    """A cooperative with a product, a household, a lot and a paid order to ship; return the form pages."""
    with app.app_context():
        world = CoopWorld()
        lot = record_supply_lot(world.coop, world.variant.id, 6, HARVEST, [(world.households[0].id, 6)],
                                world.manager.id)
        order = place_paid_order(world.variant, 1)
        db.session.commit()
        ids = dict(manager=world.manager.id, product=world.product.id, variant=world.variant.id,
                   household=world.households[0].id, lot=lot.id, shipment=order.shipments[0].id)
    log_in(client, ids["manager"])
    return ["/coop/members/new", f"/coop/members/{ids['household']}", "/coop/products/new",
            f"/coop/products/{ids['product']}", f"/coop/products/{ids['product']}/variants/new",
            f"/coop/variants/{ids['variant']}", "/coop/lots/new", f"/coop/lots/{ids['lot']}",
            f"/coop/lots/{ids['lot']}/labels", f"/coop/shipments/{ids['shipment']}", "/coop/profile"]


@pytest.mark.parametrize("headers", [EN, ZH], ids=["en", "zh"])
def test_every_field_of_the_managers_forms_has_a_hint(client, manager_pages, headers):
    missing = {}
    for path in manager_pages:
        resp = client.get(path, headers=headers)
        assert resp.status_code == 200, path
        missing[path] = _unexplained(resp.get_data(as_text=True))
    assert missing == {path: [] for path in manager_pages}


def test_the_handover_form_has_hints_on_the_first_household_only(app, client, monkeypatch):
    world = build(app, monkeypatch, run=True)
    with app.app_context():
        (payout,) = payouts()
        mark_payout_paid(payout.id, "BOC-1")
        db.session.commit()
        payout_id = payout.id
    log_in(client, world.manager_id)
    html = client.get(f"/coop/payouts/{payout_id}", headers=EN).get_data(as_text=True)
    first = html.index('<form method="post" action="/coop/payouts/')
    second = html.index('<form method="post" action="/coop/payouts/', first + 1)
    assert _unexplained(html[first:second]) == []
    assert "The day the money reached them" in html[first:second]
    assert html.count("The day the money reached them") == 1  # not repeated for every household


def test_a_hint_is_read_out_with_its_field(client, manager_pages):
    html = client.get("/coop/members/new", headers=EN).get_data(as_text=True)
    assert 'aria-describedby="members_count-hint"' in html and 'id="members_count-hint"' in html
    resp = client.post("/coop/members/new", headers=EN, data={"head_name": "", "members_count": "0"})
    html = resp.get_data(as_text=True)
    assert resp.status_code in (200, 400)
    assert 'aria-describedby="members_count-hint members_count-err"' in html
