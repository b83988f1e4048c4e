"""Every page, in both languages and every role, at 375 px, passes axe-core (the copy pinned with
axe-playwright-python) with no serious or critical violation: labels, contrast, names, target sizes."""
import pytest
from axe_playwright_python.sync_playwright import Axe

from shop.coops.fulfilment import ship_shipment
from shop.extensions import db
from tests.factories import make_address, make_user
from tests.ledger.ledger_world import Walnuts, buy

PASSWORD = "a11y-pass-2026"
SKIP_SUFFIXES = (".csv", ".xlsx", ".json", ".svg", ".png")
SKIP_PATHS = {"/healthz", "/account/logout", "/payments/stripe/webhook"}
SEVERE = ("serious", "critical")
# Everything axe checks by default, and the WCAG 2.2 target size (24 x 24 px) turned on for sure.
AXE_OPTIONS = {"resultTypes": ["violations"], "rules": {"target-size": {"enabled": True}}}
# Buttons and form controls a thumb presses are at least 44 px tall (checkboxes and radios: 24 px).
SHORT_CONTROLS = """() => [...document.querySelectorAll('button, .button, input:not([type=hidden]), select, textarea')]
  .filter(e => e.offsetParent !== null && !e.classList.contains('link'))
  .filter(e => e.getBoundingClientRect().height < (['checkbox', 'radio'].includes(e.type) ? 24 : 44))
  .map(e => e.outerHTML.slice(0, 100))"""


def _plain_pages(app, prefix: str) -> list[str]:
    """The GET routes without arguments under the prefix ("" for the public ones)."""
    found = []
    for rule in app.url_map.iter_rules():
        path = rule.rule
        if rule.arguments or "GET" not in rule.methods or path in SKIP_PATHS or path.endswith(SKIP_SUFFIXES):
            continue
        public = not path.startswith(("/coop/", "/staff", "/account", "/orders", "/checkout"))
        if (prefix and path.startswith(prefix)) or (not prefix and public):
            found.append(path)
    return sorted(set(found))


@pytest.fixture()
def world(app):
    with app.app_context():
        w = Walnuts()
        buyer = make_user("a11y-buyer@example.test", password=PASSWORD)
        make_address(buyer)
        order = buy(buyer, (w.variant, 2))
        assert ship_shipment(order.shipments[0], "EMS", "EMS1234567890")
        make_user("a11y-staff@example.test", password=PASSWORD, is_staff=True)
        make_user("a11y-admin@example.test", password=PASSWORD, is_staff=True, is_admin=True)
        manager = db.session.get(type(buyer), w.manager.id)
        manager.email = "a11y-coop@example.test"
        manager.set_password(PASSWORD)
        db.session.commit()
        pages = {
            "guest": _plain_pages(app, "") + [f"/products/{w.product.slug}", f"/coops/{w.coop.slug}",
                                              "/account/login", "/account/register", "/no-such-page"],
            "buyer": ["/account", "/account/delete", "/orders", f"/orders/{order.number}", "/cart"],
            "coop": _plain_pages(app, "/coop/") + [f"/coop/lots/{w.lot.id}", f"/coop/members/{w.households[0].id}"],
            "staff": _plain_pages(app, "/staff") + [f"/staff/households/{w.households[0].id}",
                                                    f"/staff/orders/{order.number}", f"/staff/coops/{w.coop.id}"],
            "admin": ["/staff/users", "/staff/settings"],
        }
        return pages


def _violations(page, axe: Axe, url: str) -> list[str]:
    response = page.goto(url)
    if "text/html" not in (response.headers.get("content-type") or ""):
        return []
    results = axe.run(page, options=AXE_OPTIONS).response
    short = [f"{url}: control under 44 px: {html}" for html in page.evaluate(SHORT_CONTROLS)]
    if page.evaluate("document.documentElement.scrollWidth") > 375:
        short.append(f"{url}: scrolls sideways at 375 px")
    return short + [f"{url}: {v['id']} ({v['impact']}) at {[(n['target'], n['html'][:100]) for n in v['nodes'][:3]]}"
            for v in results["violations"] if v["impact"] in SEVERE]


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_every_page_passes_axe_in_every_role(world, browser, live_server, locale, is_postgres):
    from tests.browser.steps import sign_in

    if is_postgres:
        pytest.skip("the pages are drawn the same on both databases: the SQLite suite walks them")

    axe = Axe()
    found = []
    for role, urls in world.items():
        context = browser.new_context(viewport={"width": 375, "height": 800}, locale=locale, base_url=live_server)
        context.set_default_timeout(15_000)
        page = context.new_page()
        if role != "guest":
            sign_in(page, f"a11y-{role}@example.test", PASSWORD)
        for url in urls:
            found += _violations(page, axe, url)
        context.close()
    assert not found, "\n".join(found)
