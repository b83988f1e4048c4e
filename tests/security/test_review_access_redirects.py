"""A `next=` holding a control character (a CR/LF pair, a NUL) is not a local path: it goes to the default,
never into the Location header, where Werkzeug refuses a newline with a 500."""
import pytest

from shop.web import safe_next
from tests.accounts.helpers import create_user, log_in

BAD = ["/x\r\nSet-Cookie: a=b", "/x\ny", "/x\rY", "/\x00/evil.example", "/\x0b/evil.example", "/x\x7f"]


@pytest.mark.parametrize("target", BAD)
def test_a_target_with_a_control_character_is_refused(target):
    assert safe_next(target, "/default") == "/default"


def test_plain_local_paths_still_pass():
    assert safe_next("/products?q=核桃", "/d") == "/products?q=核桃"
    assert safe_next("/orders/LN-1", "/d") == "/orders/LN-1"


def test_the_language_switch_with_a_newline_in_next_goes_home(client):
    response = client.get("/lang/en?next=/%0d%0aSet-Cookie:%20a=b")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "a=b" not in response.headers.get("Set-Cookie", "")


def test_logging_in_with_a_newline_in_next_lands_home(app, client):
    create_user(app)
    response = log_in(client, query_string={"next": "/orders\r\nX-Evil: 1"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/account/login", query_string={"next": "/x\n"}).status_code == 302


def test_the_cart_with_a_newline_in_next_does_not_fail(client):
    response = client.post("/cart/add", data={"variant_id": "999999", "quantity": "1", "next": "/products\r\nX: 1"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/cart"
