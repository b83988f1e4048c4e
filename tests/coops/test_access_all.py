"""Every /coop/ route that takes an id is walked by one of the access matrices."""
from tests.coops.test_access_fulfilment import ENDPOINTS as FULFILMENT_ENDPOINTS
from tests.coops.test_portal_catalog import MY_MODULES as CATALOG_MODULES
from tests.impact.test_coop_public_page import PROFILE_MODULES
from tests.payouts.test_payout_access import COOP_ENDPOINTS as PAYOUT_ENDPOINTS


def test_every_coop_route_with_an_id_is_covered_by_an_access_matrix(app):
    uncovered = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/coop/") or not rule.arguments:
            continue
        module = app.view_functions[rule.endpoint].__module__
        if rule.endpoint not in FULFILMENT_ENDPOINTS | PAYOUT_ENDPOINTS and module not in CATALOG_MODULES + PROFILE_MODULES:
            uncovered.append(rule.rule)
    assert uncovered == []
