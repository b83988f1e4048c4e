"""The order mails: placed, paid, refunded and shipped, each once per event, to the buyer, in the
order's language, with a text and an HTML part, written before the commit and sent after it."""
import socket
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from shop.coops.fulfilment import notify_buyer_shipped, ship_shipment
from shop.extensions import db
from shop.households.models import Household
from shop.ledger.models import LedgerPosting, LedgerTransaction
from shop.money import format_fen
from shop.orders.emails import order_support, paid_mail
from shop.orders.models import LineShare, OrderLine
from shop.payments.refunds import request_refund, send_refund
from shop.payments.services import mark_paid
from tests.factories import log_in
from tests.mail.conftest import grown_by, html_of, load_order, mails_about, place, text_of
from tests.querycount import count_queries

EN = {"Accept-Language": "en"}


def _pay(order_id: int) -> None:
    order = load_order(order_id)
    assert mark_paid(order, "demo", f"demo_{order.number}", order.total_fen, order.currency)
    db.session.commit()


@pytest.mark.parametrize("locale, words", [("zh", ("合计", "运费", "您的商品保留到")),
                                           ("en", ("Total", "Shipping", "Your items are held until"))])
def test_the_placed_mail_goes_once_to_the_buyer_in_the_orders_language(app, ctx, outbox, monkeypatch, locale,
                                                                         words):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://shop.example.cn")
    placed = place(grown_by((3,)), locale=locale)
    (mail,) = outbox
    order = load_order(placed.order_id)
    with force_locale(locale):
        subject = _("We received your order %(number)s", number=order.number)
    assert (mail["To"], mail["Subject"]) == (placed.email, subject)
    text, html = text_of(mail), html_of(mail)
    assert all(word in text and word in html for word in words)
    assert format_fen(order.total_fen) in text and format_fen(order.total_fen) in html
    line = order.lines[0]
    assert f"{line.quantity} × {format_fen(line.unit_price_fen)} = {format_fen(line.gross_fen)}" in text
    pay = f"https://shop.example.cn/pay/{order.number}"
    assert pay in text and f'href="{pay}"' in html


def test_the_hold_end_is_shown_in_shanghai_time_in_the_orders_language(app, ctx, outbox):
    placed = place(grown_by((3,)), locale="en")
    order = load_order(placed.order_id)
    local = order.expires_at.astimezone(ZoneInfo("Asia/Shanghai"))  # 8 hours from UTC: another hour on the clock
    held = text_of(outbox[0]).split("Your items are held until ")[1].split("\n")[0]
    assert held.startswith(f"{local:%b} {local.day}, {local.year}, {local:%-I}:{local:%M}")


def test_the_paid_mail_is_a_receipt_and_says_what_the_order_brings_to_households(app, ctx, outbox):
    placed = place(grown_by((3, 2), villages_per_coop=2), locale="en")
    _pay(placed.order_id)
    (receipt,) = mails_about(outbox, placed.number, "Receipt")
    order = load_order(placed.order_id)
    text, html = text_of(receipt), html_of(receipt)
    for line in order.lines:
        for part in (line.product_name_en, line.variant_name_en, format_fen(line.unit_price_fen),
                     format_fen(line.gross_fen)):
            assert part in text and part in html
    for shipment in order.shipments:
        assert shipment.coop_name_en in text and shipment.coop_name_en in html
    assert f"Total paid: {format_fen(order.total_fen)}" in text

    # The figure, checked against the rows themselves: the ledger's household postings of this payment ...
    postings = select(LedgerPosting).join(LedgerTransaction, LedgerPosting.txn_id == LedgerTransaction.id) \
        .where(LedgerTransaction.key == f"payment:order:{order.id}", LedgerPosting.account == "household_pending")
    rows = db.session.scalars(postings).all()
    amount = -sum(p.amount_fen for p in rows)
    households = {p.household_id for p in rows}
    villages = set(db.session.scalars(select(Household.village_id).where(Household.id.in_(households))))
    # ... and the frozen line shares.
    assert amount == db.session.scalar(select(func.sum(LineShare.amount_fen)).join(
        OrderLine, LineShare.line_id == OrderLine.id).where(OrderLine.order_id == order.id))
    assert (len(households), len(villages)) == (5, 4)
    support = order_support(order.id)
    assert (support.amount_fen, support.households, support.villages) == (amount, 5, 4)
    sentence = f"This order brings {format_fen(amount)} to 5 farming households in 4 villages."
    assert sentence in text and sentence in html


def test_fewer_than_three_households_are_not_counted_out(app, ctx, outbox):
    placed = place(grown_by((2,)), locale="en")
    _pay(placed.order_id)
    text = text_of(mails_about(outbox, placed.number, "Receipt")[0])
    assert "to fewer than three farming households in 1 village." in text
    assert "2 farming households" not in text


def test_the_order_page_counts_the_households_the_receipt_counts(app, ctx, outbox):
    """A share of zero fen (a tiny line split over many households) pays nothing: neither counts it."""
    from shop.orders.services import summarize_support

    placed = place(grown_by((1, 1, 1, 1)), locale="en")
    share = db.session.scalars(select(LineShare).join(OrderLine, LineShare.line_id == OrderLine.id)
                               .where(OrderLine.order_id == placed.order_id)).first()
    share.amount_fen = 0
    db.session.flush()
    assert summarize_support(placed.order_id)["households"] == order_support(placed.order_id).households == 3


def test_a_zh_order_gets_a_zh_receipt_whatever_language_the_payer_speaks(app, client, outbox):
    with app.app_context():
        placed = place(grown_by((3,)), locale="zh")
    log_in(client, placed.buyer_id)
    assert client.post(f"/pay/{placed.number}/demo", headers=EN).status_code == 302
    with app.app_context(), force_locale("zh"):
        subject = _("Receipt for your order %(number)s", number=placed.number)
    (receipt,) = [m for m in outbox if m["Subject"] == subject]
    assert "运费" in text_of(receipt) and "商品金额" in html_of(receipt) and "Goods" not in text_of(receipt)


def test_placed_and_paid_in_one_transaction_sends_only_the_receipt(app, ctx, outbox):
    from shop.checkout.services import new_checkout_token, place_order
    from tests.factories import make_address, make_cart, make_user

    buyer = make_user()
    order = place_order(buyer, make_cart(buyer, (grown_by((3,))[0], 1)), make_address(buyer), new_checkout_token(), "en")
    mark_paid(order, "demo", "demo_one_go", order.total_fen, order.currency)
    db.session.commit()
    assert [m["Subject"] for m in outbox] == [f"Receipt for your order {order.number}"]


def test_a_rolled_back_change_sends_nothing(app, ctx, outbox):
    placed = place(grown_by((3,)), locale="en")
    outbox.clear()
    order = load_order(placed.order_id)
    assert mark_paid(order, "demo", "demo_rolled_back", order.total_fen, order.currency)
    db.session.rollback()
    db.session.commit()  # a later commit of the same session must not send it either
    assert outbox == [] and load_order(placed.order_id).status == "pending_payment"


def test_a_rolled_back_savepoint_drops_only_its_own_mail(app, ctx, outbox):
    first, second = (place(grown_by((3,)), locale="en") for _ in range(2))
    outbox.clear()
    kept = load_order(first.order_id)
    mark_paid(kept, "demo", "demo_kept", kept.total_fen, kept.currency)
    savepoint = db.session.begin_nested()
    dropped = load_order(second.order_id)
    mark_paid(dropped, "demo", "demo_dropped", dropped.total_fen, dropped.currency)
    savepoint.rollback()
    db.session.commit()
    assert [m["Subject"] for m in outbox] == [f"Receipt for your order {first.number}"]


def test_a_refund_mail_says_what_came_back_once(app, ctx, outbox):
    placed = place(grown_by((3, 3)), quantity=2, locale="en")
    _pay(placed.order_id)
    order = load_order(placed.order_id)
    line = order.lines[0]
    refund = request_refund(order, mode="lines", key="mail-lines", staff_id=None, quantities={line.id: 1})
    db.session.commit()
    assert send_refund(refund) == "succeeded"
    assert send_refund(db.session.get(type(refund), refund.id)) == "succeeded"  # again: nothing new
    (mail,) = mails_about(outbox, placed.number, "Refund")
    text = text_of(mail)
    assert f"We refunded {format_fen(line.unit_price_fen)} for your order {order.number}." in text
    assert f"{line.product_name_en} · {line.variant_name_en} × 1: {format_fen(line.unit_price_fen)}" in text
    assert "so far" not in text and format_fen(line.unit_price_fen) in html_of(mail)

    rest = request_refund(load_order(order.id), mode="whole", key="mail-rest", staff_id=None)
    db.session.commit()
    send_refund(rest)
    second = mails_about(outbox, placed.number, "Refund")[1]
    text = text_of(second)
    assert f"Refunded: {format_fen(order.total_fen - line.unit_price_fen)}" in text
    assert f"Shipping · {order.shipments[1].coop_name_en}: {format_fen(order.shipments[1].shipping_fee_fen)}" in text
    assert f"Refunded on this order so far: {format_fen(order.total_fen)}" in text


def test_the_shipped_mail_has_both_parts_in_the_orders_language(app, ctx, outbox):
    placed = place(grown_by((3,)), locale="en")
    _pay(placed.order_id)
    shipment = load_order(placed.order_id).shipments[0]
    assert ship_shipment(shipment, "EMS", "EMS12345678")
    db.session.commit()
    assert notify_buyer_shipped(shipment)
    (mail,) = mails_about(outbox, placed.number, "on its way")
    assert mail["To"] == placed.email
    assert "Tracking number: EMS12345678" in text_of(mail) and "EMS12345678" in html_of(mail)
    assert f"{shipment.coop_name_en} has shipped your parcel." in text_of(mail)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_mail_server_that_is_down_does_not_break_the_payment(app, client, outbox, monkeypatch, caplog):
    with app.app_context():
        placed = place(grown_by((3,)), locale="en")
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", _closed_port())
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", False)
    log_in(client, placed.buyer_id)
    resp = client.post(f"/pay/{placed.number}/demo", headers=EN)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/orders/{placed.number}")
    with app.app_context():
        assert load_order(placed.order_id).status == "paid"
    assert f"paid mail for order {placed.number} not sent" in caplog.text


def test_the_pay_link_uses_the_configured_host_not_a_forged_host_header(app, client, outbox, monkeypatch):
    from shop.accounts.models import User
    from tests.factories import make_address, make_cart, make_user

    with app.app_context():
        buyer = make_user()
        make_cart(buyer, (grown_by((3,))[0], 1))
        address_id, buyer_id = make_address(buyer).id, buyer.id
        db.session.commit()
        session_id = db.session.get(User, buyer_id).get_id()
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://shop.example.cn")
    evil = "http://evil.example"  # the Host header every request of this client carries
    with client.session_transaction(base_url=evil) as sess:
        sess["_user_id"], sess["_fresh"] = session_id, True
    page = client.get("/checkout", base_url=evil, headers=EN).get_data(as_text=True)
    token = page.split('name="checkout_token" type="hidden" value="')[1].split('"')[0]
    resp = client.post("/checkout", base_url=evil, data={"address_id": address_id, "checkout_token": token})
    assert resp.status_code == 302
    (mail,) = outbox
    number = mail["Subject"].rsplit(" ", 1)[1]
    assert f"https://shop.example.cn/pay/{number}" in text_of(mail)
    assert "evil.example" not in text_of(mail) and "evil.example" not in html_of(mail)


def test_writing_a_receipt_costs_the_same_queries_however_many_lines(app, ctx, outbox):
    small = place(grown_by((3,)), locale="en")
    big = place(grown_by((3, 3, 3)), locale="en")
    _pay(small.order_id)
    _pay(big.order_id)
    counts = []
    for placed in (small, big):
        with count_queries(db.engine) as statements:
            assert paid_mail(placed.order_id) is not None
        counts.append(len(statements))
    assert counts[0] == counts[1] <= 6
