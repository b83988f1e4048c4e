"""send_mail: plain text for the old callers, text plus HTML (multipart/alternative) when asked."""
from shop.mail import send_mail


def test_an_html_part_makes_a_multipart_alternative_with_text_first(app, outbox):
    with app.app_context():
        send_mail("a@example.test", "Hello", "plain body", html="<p>html body</p>")
    (message,) = outbox
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert parts[0].get_content().strip() == "plain body" and "<p>html body</p>" in parts[1].get_content()
    assert (message["To"], message["Subject"]) == ("a@example.test", "Hello")


def test_without_html_the_mail_stays_plain_text(app, outbox):
    with app.app_context():
        send_mail("a@example.test", "Hello", "plain body")
    (message,) = outbox
    assert message.get_content_type() == "text/plain" and message.get_content().strip() == "plain body"


def test_a_deleted_accounts_address_gets_nothing(app, outbox):
    """delete_account leaves deleted-<id>@invalid: an order mail for one of its orders goes nowhere."""
    with app.app_context():
        send_mail("deleted-12@invalid", "Your order has shipped", "body")
    assert outbox == []
