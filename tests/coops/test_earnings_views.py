"""The earnings page and its CSV exports."""
from shop.catalog.models import Variant
from shop.extensions import db
from shop.supply.services import record_supply_lot
from tests.coops.test_fulfilment_builders import EN, HARVEST, CoopWorld, place_paid_order
from tests.factories import log_in, make_user
from tests.querycount import count_queries


def _sales(app, orders=1):
    with app.app_context():
        world = CoopWorld()
        record_supply_lot(world.coop, world.variant.id, 30, HARVEST, [(h.id, 10) for h in world.households],
                          world.manager.id)
        for _ in range(orders):
            place_paid_order(world.variant, 1)
        db.session.commit()
        return world.manager.id, world.households[0].head_name, world.households[0].registry_code, world.variant.id


def test_earnings_page_shows_sales_households_and_balance(app, client):
    manager, head, code, _ = _sales(app)
    log_in(client, manager)
    page = client.get("/coop/earnings", headers=EN).get_data(as_text=True)
    assert "Owed to the cooperative" in page and "¥68.00" in page and head in page
    assert code not in page and code[-3:] in page


def test_each_table_downloads_as_csv_for_excel(app, client):
    manager, head, code, _ = _sales(app)
    log_in(client, manager)
    for table in ("products", "months", "households"):
        resp = client.get(f"/coop/earnings/{table}.csv", headers=EN)
        assert resp.status_code == 200 and resp.content_type == "text/csv; charset=utf-8"
        assert resp.headers["Content-Disposition"] == f'attachment; filename="earnings-{table}.csv"'
        assert resp.data.startswith("\ufeff".encode())
    households = client.get("/coop/earnings/households.csv").get_data(as_text=True)
    assert head in households and code not in households
    assert client.get("/coop/earnings/secrets.csv").status_code == 404


def test_earnings_page_needs_a_fixed_number_of_queries(app, client):
    manager, _, _, variant_id = _sales(app)
    log_in(client, manager)

    def queries():
        with app.app_context():
            with count_queries(db.engine) as statements:
                assert client.get("/coop/earnings").status_code == 200
            return len(statements)

    one = queries()
    with app.app_context():
        for _ in range(3):
            place_paid_order(db.session.get(Variant, variant_id), 1, buyer=make_user())
        db.session.commit()
    assert queries() == one


def test_earnings_page_draws_sales_and_the_household_pool_per_month(app, client):
    manager, _, _, _ = _sales(app, orders=2)
    log_in(client, manager)
    page = client.get("/coop/earnings", headers=EN).get_data(as_text=True)
    chart = page[page.index('id="earnings-months"'):page.index("</figure>", page.index('id="earnings-months"'))]
    with app.app_context():
        from shop.reports.earnings import build_earnings_report
        from shop.accounts.models import User
        report = build_earnings_report(db.session.get(User, manager).coop_id)
    (month, figures), = report.months
    assert f"{month} · Sales (goods): ¥{figures.gross_fen / 100:,.2f}</title>" in chart
    assert f"{month} · Household pool: ¥{figures.pool_fen / 100:,.2f}</title>" in chart
    assert chart.count("<rect") == 2 and figures.pool_fen > 0
