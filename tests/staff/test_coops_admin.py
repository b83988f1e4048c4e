"""Staff cooperative pages: the list and its filters as stacked cards, the detail page, approve / suspend /
reinstate with audit rows, a suspended cooperative's goods cannot be checked out, a rate change reaches new
orders only, bad percentages are refused in both languages, the bank account is masked and its reveal is
logged, and nobody but staff gets in. On PostgreSQL: a suspension waits for a checkout in progress."""
import re
import threading
import time

import pytest
from sqlalchemy import func, select

from shop.audit.models import AuditEvent
from shop.checkout.services import CheckoutError, new_checkout_token, place_order
from shop.coops import backoffice
from shop.coops.models import Cooperative
from shop.extensions import db
from shop.money import parse_percent
from shop.orders.models import Order, OrderLine, Shipment
from shop.supply.models import SupplyLot
from tests.factories import log_in, make_address, make_cart, make_coop, make_household, make_product, make_user

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh"}
ACCOUNT = "6222020200112233445"


@pytest.fixture()
def world(app):
    """An approved cooperative with two households, a product and bank details; a pending and a suspended one."""
    with app.app_context():
        staff = make_user(is_staff=True)
        selling = make_coop(name_zh="成县核桃专业合作社", name_en="Cheng Walnut Cooperative", bank_name="甘肃农信",
                            bank_account_name="成县核桃专业合作社", bank_account_no=ACCOUNT, payout_method="bank")
        households = [make_household(selling), make_household(selling)]
        product = make_product(coop=selling, price_fen=10000, units=20, households=households)
        pending = make_coop(status="pending", name_zh="宕昌天麻合作社", name_en="Tanchang Gastrodia Coop",
                            contact_email="gastrodia@example.test", contact_name="赵经理")
        suspended = make_coop(status="suspended", name_zh="武都花椒合作社", name_en="Wudu Pepper Coop")
        buyer, manager = make_user(), make_user(coop_id=selling.id)
        address = make_address(buyer)
        db.session.commit()
        return {"staff": staff.id, "buyer": buyer.id, "manager": manager.id, "address": address.id,
                "selling": selling.id, "pending": pending.id, "suspended": suspended.id,
                "variant": product.variants[0].id}


def _audit(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()
        db.session.expunge_all()
        return rows


def _coop(app, coop_id: int) -> Cooperative:
    with app.app_context():
        coop = db.session.get(Cooperative, coop_id)
        db.session.expunge(coop)
        return coop


def _listed(client, query: str = "") -> list[int]:
    page = client.get(f"/staff/coops?{query}", headers=EN)
    assert page.status_code == 200
    return sorted(int(i) for i in re.findall(r'href="/staff/coops/(\d+)"', page.get_data(as_text=True)))


# --- parsing a percentage -----------------------------------------------------------------------

@pytest.mark.parametrize("text, bp", [("5", 500), ("7.25", 725), ("0", 0), ("100", 10000), (" 12.5 ", 1250),
                                      ("7.25%", 725), ("０.５", 50), ("100.00", 10000)])
def test_parse_percent_gives_basis_points(text, bp):
    assert parse_percent(text) == bp


@pytest.mark.parametrize("text", ["", "abc", "-1", "101", "100.01", "5.555", "1e2", "5,5", ".5", None, "5" * 30])
def test_parse_percent_refuses(text):
    with pytest.raises(ValueError):
        parse_percent(text)


# --- list and detail ----------------------------------------------------------------------------

def test_the_list_filters_by_status_and_name_as_stacked_cards(app, client, world):
    log_in(client, world["staff"])
    assert _listed(client) == sorted([world["selling"], world["pending"], world["suspended"]])
    assert _listed(client, "status=pending") == [world["pending"]]
    assert _listed(client, "status=suspended") == [world["suspended"]]
    assert _listed(client, "q=核桃") == [world["selling"]]
    assert _listed(client, "q=gastrodia") == [world["pending"]]
    assert _listed(client, "q=%25") == []  # a wildcard matches itself only
    assert _listed(client, "status=approved&q=花椒") == []
    page = client.get("/staff/coops?status=approved", headers=EN).get_data(as_text=True)
    assert 'class="table-cards coops"' in page and 'data-label="Commission"' in page
    assert "Cheng Walnut Cooperative" in page and "5%" in page and "10%" in page and "Bank transfer" in page
    assert re.search(r'data-label="Member households" class="num">2<', page)
    assert "1 (1 on sale)" in page
    assert "Approved" in page
    zh = client.get("/staff/coops", headers=ZH).get_data(as_text=True)
    assert "成县核桃专业合作社" in zh and "已暂停" in zh and "已批准" in zh


@pytest.mark.parametrize("query", ["status=closed", "page=-1", "page=abc", "q=" + "x" * 300, "q=%00'\"<script>"])
def test_a_bad_search_never_fails(app, client, world, query):
    log_in(client, world["staff"])
    page = client.get(f"/staff/coops?{query}", headers=EN)
    assert page.status_code == 200
    assert "<script>" not in page.get_data(as_text=True)


def test_the_menu_leads_to_the_cooperatives(app, client, world):
    log_in(client, world["staff"])
    assert 'href="/staff/coops"' in client.get("/staff", headers=EN).get_data(as_text=True)


def test_the_detail_shows_the_facts_with_the_account_masked(app, client, world):
    log_in(client, world["staff"])
    page = client.get(f"/staff/coops/{world['selling']}", headers=EN).get_data(as_text=True)
    assert "成县核桃专业合作社" in page and "甘肃农信" in page
    assert ACCOUNT not in page and "*" * (len(ACCOUNT) - 4) + ACCOUNT[-4:] in page
    assert 'value="5"' in page and 'value="10"' in page and 'value="10.00"' in page  # the forms, filled in
    assert client.get("/staff/coops/999999", headers=EN).status_code == 404


# --- approve, suspend, reinstate ----------------------------------------------------------------

def test_approve_from_the_detail_page_uses_the_applications_approval(app, client, world):
    log_in(client, world["staff"])
    page = client.get(f"/staff/coops/{world['pending']}", headers=EN).get_data(as_text=True)
    assert f'action="/staff/applications/{world["pending"]}/approve"' in page
    answer = client.post(f"/staff/applications/{world['pending']}/approve",
                         data={"next": f"/staff/coops/{world['pending']}"}, headers=EN)
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/staff/coops/{world['pending']}")
    assert _coop(app, world["pending"]).status == "approved"
    [event] = _audit(app, "coop_approved")
    assert (event.target, event.user_id) == (f"coop:{world['pending']}", world["staff"])
    assert "gastrodia@example.test" in client.get(answer.headers["Location"], headers=EN).get_data(as_text=True)
    # an outside next= is not followed
    answer = client.post(f"/staff/applications/{world['pending']}/approve", data={"next": "//evil.example"})
    assert answer.status_code == 404


def test_suspend_needs_a_reason_in_the_users_language(app, client, world):
    log_in(client, world["staff"])
    for headers, message in ((EN, "Please give the reason for the suspension."), (ZH, "请填写暂停的原因。")):
        answer = client.post(f"/staff/coops/{world['selling']}/suspend", data={"reason": "  "}, headers=headers)
        assert answer.status_code == 400
        assert message in answer.get_data(as_text=True)
    assert _coop(app, world["selling"]).status == "approved"
    assert _audit(app, "coop_suspended") == []


def test_suspend_then_reinstate_with_audit_rows(app, client, world):
    log_in(client, world["staff"])
    answer = client.post(f"/staff/coops/{world['selling']}/suspend", data={"reason": "食品安全抽检不合格"}, headers=EN)
    assert answer.status_code == 302
    assert _coop(app, world["selling"]).status == "suspended"
    [event] = _audit(app, "coop_suspended")
    assert (event.target, event.detail, event.user_id) == (f"coop:{world['selling']}", "食品安全抽检不合格",
                                                           world["staff"])
    page = client.get(f"/staff/coops/{world['selling']}", headers=EN).get_data(as_text=True)
    assert "is suspended" in page and "食品安全抽检不合格" in page and "Reinstate" in page
    assert 'href="/products/product-' not in client.get("/products", headers=EN).get_data(as_text=True)  # gone
    # suspended twice: refused, nothing more in the log
    client.post(f"/staff/coops/{world['selling']}/suspend", data={"reason": "again"}, headers=EN)
    assert len(_audit(app, "coop_suspended")) == 1

    answer = client.post(f"/staff/coops/{world['selling']}/reinstate", headers=EN)
    assert answer.status_code == 302
    assert _coop(app, world["selling"]).status == "approved"
    [event] = _audit(app, "coop_reinstated")
    assert event.target == f"coop:{world['selling']}"
    assert "食品安全抽检不合格" not in client.get(f"/staff/coops/{world['selling']}", headers=EN).get_data(as_text=True)
    client.post(f"/staff/coops/{world['pending']}/reinstate", headers=EN)  # not suspended: refused
    assert _coop(app, world["pending"]).status == "pending" and len(_audit(app, "coop_reinstated")) == 1


def test_a_suspended_cooperatives_goods_cannot_be_checked_out(app, client, world):
    with app.app_context():
        buyer = db.session.get(type(make_user()), world["buyer"])
        from shop.catalog.models import Variant

        make_cart(buyer, (db.session.get(Variant, world["variant"]), 2))
        db.session.commit()
    staff = app.test_client()
    log_in(staff, world["staff"])
    staff.post(f"/staff/coops/{world['selling']}/suspend", data={"reason": "整改"})
    log_in(client, world["buyer"])
    answer = client.post("/checkout", data={"address_id": world["address"], "checkout_token": new_checkout_token()},
                         headers=EN, follow_redirects=True)
    text = answer.get_data(as_text=True)
    assert "not selling at the moment" in text or "No longer available" in text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 0
        assert db.session.scalar(select(func.sum(SupplyLot.units_remaining))) == 20
        # the service says which cooperative, even if the cart was priced before the suspension
        from shop.accounts.models import Address, User
        from shop.cart.models import Cart

        user = db.session.get(User, world["buyer"])
        cart = db.session.scalar(select(Cart).where(Cart.user_id == user.id))
        with pytest.raises(CheckoutError, match="成县核桃专业合作社"):
            place_order(user, cart, db.session.get(Address, world["address"]), new_checkout_token(), "zh")
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Order)) == 0


# --- rates ----------------------------------------------------------------------------------------

def _order(app, world) -> int:
    with app.app_context():
        from shop.accounts.models import Address, User
        from shop.catalog.models import Variant

        user = db.session.get(User, world["buyer"])
        cart = make_cart(user, (db.session.get(Variant, world["variant"]), 1))
        order = place_order(user, cart, db.session.get(Address, world["address"]), new_checkout_token(), "zh")
        db.session.delete(cart)
        db.session.commit()
        return order.id


def _split(app, order_id: int) -> tuple:
    with app.app_context():
        line = db.session.scalar(select(OrderLine).where(OrderLine.order_id == order_id))
        shipment = db.session.scalar(select(Shipment).where(Shipment.order_id == order_id))
        return (shipment.commission_bp, shipment.retention_bp, line.commission_fen, line.retention_fen,
                line.household_pool_fen, sorted(s.amount_fen for s in line.shares))


def test_a_rate_change_applies_to_new_orders_only(app, client, world):
    before = _order(app, world)
    frozen = _split(app, before)
    assert frozen == (500, 1000, 500, 950, 8550, [4275, 4275])
    log_in(client, world["staff"])
    answer = client.post(f"/staff/coops/{world['selling']}/rates", data={"commission": "7.25", "retention": "12"},
                         headers=EN)
    assert answer.status_code == 302
    coop = _coop(app, world["selling"])
    assert (coop.commission_bp, coop.retention_bp) == (725, 1200)
    [event] = _audit(app, "coop_rates_changed")
    assert event.detail == "commission 5% → 7.25%, retention 10% → 12%"
    assert event.user_id == world["staff"]
    after = _order(app, world)
    assert _split(app, before) == frozen  # the placed order keeps its split
    assert _split(app, after) == (725, 1200, 725, 1113, 8162, [4081, 4081])
    # the same rates again: nothing changes, nothing logged
    client.post(f"/staff/coops/{world['selling']}/rates", data={"commission": "7.25", "retention": "12.00"})
    assert len(_audit(app, "coop_rates_changed")) == 1


PERCENT_EN = "Enter a percentage from 0 to 100 with at most two decimals, for example 5 or 7.25."
PERCENT_ZH = "请输入 0 到 100 之间的百分比，最多两位小数，例如 5 或 7.25。"
SUM_EN = "Commission and retention together may not be more than 100%."
SUM_ZH = "佣金与留存合计不能超过 100%。"


@pytest.mark.parametrize("commission, retention, which", [
    ("abc", "10", "percent"), ("-1", "10", "percent"), ("101", "10", "percent"), ("5.555", "10", "percent"),
    ("5", "7.125", "percent"), ("60", "50", "sum"), ("", "10", "required")])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_bad_percentages_are_refused_in_the_users_language(app, client, world, commission, retention, which, lang):
    log_in(client, world["staff"])
    answer = client.post(f"/staff/coops/{world['selling']}/rates", data={"commission": commission,
                                                                         "retention": retention},
                         headers=EN if lang == "en" else ZH)
    assert answer.status_code == 400
    text = answer.get_data(as_text=True)
    expected = {"percent": {"en": PERCENT_EN, "zh": PERCENT_ZH}, "sum": {"en": SUM_EN, "zh": SUM_ZH},
                "required": {"en": "Please enter the commission rate.", "zh": "请填写佣金比例。"}}[which][lang]
    assert f'<p class="error" id="{"retention" if which == "sum" or commission == "5" else "commission"}-err">' \
           f'{expected}</p>' in text.replace("&#34;", '"')
    assert f'value="{commission}"' in text  # what was typed is shown back
    coop = _coop(app, world["selling"])
    assert (coop.commission_bp, coop.retention_bp) == (500, 1000)
    assert _audit(app, "coop_rates_changed") == []


# --- shipping and payout ------------------------------------------------------------------------

def test_the_shipping_rule_in_yuan(app, client, world):
    log_in(client, world["staff"])
    answer = client.post(f"/staff/coops/{world['selling']}/shipping",
                         data={"shipping_fee": "12.50", "free_shipping_over": "￥199"}, headers=EN)
    assert answer.status_code == 302
    coop = _coop(app, world["selling"])
    assert (coop.shipping_fee_fen, coop.free_shipping_over_fen) == (1250, 19900)
    [event] = _audit(app, "coop_shipping_changed")
    assert event.detail == "fee 10.00 → 12.50, free over never → 199.00"
    client.post(f"/staff/coops/{world['selling']}/shipping", data={"shipping_fee": "0", "free_shipping_over": ""})
    coop = _coop(app, world["selling"])
    assert (coop.shipping_fee_fen, coop.free_shipping_over_fen) == (0, None)
    answer = client.post(f"/staff/coops/{world['selling']}/shipping", data={"shipping_fee": "-3"}, headers=ZH)
    assert answer.status_code == 400 and "请输入以元为单位的金额" in answer.get_data(as_text=True)
    assert _coop(app, world["selling"]).shipping_fee_fen == 0 and len(_audit(app, "coop_shipping_changed")) == 2


def test_a_shipping_fee_above_a_thousand_yuan_is_refused_as_a_slip(app, client, world):
    log_in(client, world["staff"])
    url = f"/staff/coops/{world['selling']}/shipping"
    answer = client.post(url, data={"shipping_fee": "1000.01", "free_shipping_over": ""}, headers=EN)
    assert answer.status_code == 400
    assert "The shipping fee may be at most ¥1,000.00 a shipment." in answer.get_data(as_text=True)
    assert _coop(app, world["selling"]).shipping_fee_fen == 1000 and _audit(app, "coop_shipping_changed") == []
    assert client.post(url, data={"shipping_fee": "1000", "free_shipping_over": ""}).status_code == 302
    assert _coop(app, world["selling"]).shipping_fee_fen == 100_000


def test_payout_details_are_checked_and_audited_with_the_account_masked(app, client, world):
    log_in(client, world["staff"])
    url = f"/staff/coops/{world['selling']}/payout"
    bad = client.post(url, data={"payout_method": "stripe", "stripe_account_id": "acc_123"}, headers=EN)
    assert bad.status_code == 400 and "A Stripe account looks like acct_" in bad.get_data(as_text=True)
    bad = client.post(url, data={"payout_method": "stripe", "stripe_account_id": ""}, headers=EN)
    assert bad.status_code == 400 and "Please enter the Stripe account" in bad.get_data(as_text=True)
    bad = client.post(url, data={"payout_method": "cash"}, headers=EN)
    assert bad.status_code == 400
    assert _audit(app, "coop_payout_changed") == [] and _coop(app, world["selling"]).payout_method == "bank"

    answer = client.post(url, data={"payout_method": "stripe", "stripe_account_id": "acct_1LnTest42Abc",
                                    "bank_name": "甘肃农信", "bank_account_name": "成县核桃专业合作社"}, headers=EN)
    assert answer.status_code == 302
    coop = _coop(app, world["selling"])
    assert (coop.payout_method, coop.stripe_account_id, coop.bank_account_no) == ("stripe", "acct_1LnTest42Abc",
                                                                                 ACCOUNT)  # blank keeps the number
    answer = client.post(url, data={"payout_method": "bank", "bank_name": "中国农业银行", "bank_account_name": "成县核桃",
                                    "bank_account_no": "6228 4800 1234 5678", "stripe_account_id": ""})
    assert answer.status_code == 302
    coop = _coop(app, world["selling"])
    assert (coop.payout_method, coop.bank_account_no, coop.stripe_account_id) == ("bank", "6228480012345678", "")
    first, second = _audit(app, "coop_payout_changed")
    assert first.detail == "payout_method bank → stripe; stripe_account_id — → acct_1LnTest42Abc"
    assert ACCOUNT not in second.detail and "6228480012345678" not in second.detail and "5678" in second.detail


def test_the_bank_account_reveal_shows_it_once_and_is_logged_with_the_address(app, client, world):
    log_in(client, world["staff"])
    answer = client.post(f"/staff/coops/{world['selling']}/reveal-bank-account", headers=EN,
                         environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    assert f'<code class="revealed" id="revealed-bank-account">{ACCOUNT}</code>' in answer.get_data(as_text=True)
    [event] = _audit(app, "coop_bank_revealed")
    assert (event.target, event.detail, event.user_id, event.ip) == (f"coop:{world['selling']}", "bank_account_no",
                                                                     world["staff"], "10.1.2.3")
    assert ACCOUNT not in client.get(f"/staff/coops/{world['selling']}", headers=EN).get_data(as_text=True)
    assert "Revealed a cooperative" in client.get("/staff/audit", headers=EN).get_data(as_text=True)


# --- who may ------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["manager", "buyer"])
def test_a_coop_manager_or_a_buyer_is_refused_every_coop_page(app, client, world, who):
    log_in(client, world[who])
    cid = world["selling"]
    for method, url in (("GET", "/staff/coops"), ("GET", f"/staff/coops/{cid}"), ("POST", f"/staff/coops/{cid}/suspend"),
                        ("POST", f"/staff/coops/{cid}/reinstate"), ("POST", f"/staff/coops/{cid}/rates"),
                        ("POST", f"/staff/coops/{cid}/shipping"), ("POST", f"/staff/coops/{cid}/payout"),
                        ("POST", f"/staff/coops/{cid}/reveal-bank-account")):
        assert client.open(url, method=method, data={"reason": "x", "commission": "1", "retention": "1"}
                           ).status_code == 403, url
    assert _coop(app, cid).status == "approved" and _audit(app, "coop_bank_revealed") == []


# --- PostgreSQL: a suspension racing a checkout ----------------------------------------------------

@pytest.mark.usefixtures("needs_postgres")
def test_a_suspension_waits_for_a_checkout_in_progress_and_the_next_checkout_is_refused(app, world):
    from shop.accounts.models import Address, User
    from shop.cart.models import Cart
    from shop.catalog.models import Variant

    with app.app_context():
        for _ in range(2):
            user = make_user(password="x")
            make_cart(user, (db.session.get(Variant, world["variant"]), 1))
            make_address(user)
        db.session.commit()
        buyers = [u.id for u in db.session.scalars(select(User).where(User.id.notin_(
            [world["staff"], world["buyer"], world["manager"]])).order_by(User.id))]
    placed, go, suspended = threading.Event(), threading.Event(), threading.Event()
    results = {}

    def checkout(user_id: int, hold: bool) -> None:
        with app.app_context():
            user = db.session.get(User, user_id)
            cart = db.session.scalar(select(Cart).where(Cart.user_id == user_id))
            address = db.session.scalar(select(Address).where(Address.user_id == user_id))
            try:
                place_order(user, cart, address, new_checkout_token(), "en")
                if hold:
                    placed.set()
                    go.wait(10)
                db.session.commit()
                results[user_id] = "ok"
            except CheckoutError as error:
                db.session.rollback()
                results[user_id] = str(error)
            finally:
                placed.set()
                db.session.remove()

    def suspend() -> None:
        with app.app_context():
            coop = db.session.get(Cooperative, world["selling"])
            backoffice.suspend(coop, "race", world["staff"])
            db.session.commit()
            suspended.set()
            db.session.remove()

    first = threading.Thread(target=checkout, args=(buyers[0], True))
    first.start()
    assert placed.wait(10)
    staff = threading.Thread(target=suspend)
    staff.start()
    time.sleep(0.5)
    assert not suspended.is_set()  # the checkout's FOR SHARE holds the suspension back
    go.set()
    first.join(10)
    staff.join(10)
    assert results[buyers[0]] == "ok" and suspended.is_set()
    second = threading.Thread(target=checkout, args=(buyers[1], False))
    second.start()
    second.join(10)
    assert "成县核桃专业合作社" in results[buyers[1]]  # refused, naming the cooperative
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1
        assert db.session.get(Cooperative, world["selling"]).status == "suspended"
