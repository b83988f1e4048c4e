"""Carriers: every listed carrier accepts its own example, refuses the others' shapes, and links its page."""
import pytest

from shop.orders.carriers import CARRIERS, TrackingNumberError, normalize_tracking, tracking_url


@pytest.mark.parametrize("carrier", CARRIERS, ids=lambda c: c.code)
def test_each_carrier_accepts_its_example_with_spaces_dashes_and_lower_case(app, carrier):
    with app.test_request_context():
        typed = " " + "-".join([carrier.example[:4], carrier.example[4:]]).lower() + " "
        assert normalize_tracking(carrier.code, typed) == carrier.example
        with pytest.raises(TrackingNumberError):
            normalize_tracking(carrier.code, carrier.example + "X")
        assert tracking_url(carrier.name_zh, carrier.example).endswith(f"com={carrier.code}&nu={carrier.example}")


def test_letter_prefixed_numbers_are_refused_by_the_carriers_of_other_shapes(app):
    with app.test_request_context():
        with pytest.raises(TrackingNumberError):
            normalize_tracking("zhongtong", "SF1234567890123")
        with pytest.raises(TrackingNumberError):
            normalize_tracking("other", "<b>1")
        assert normalize_tracking("other", "db 1234") == "DB1234"
        assert tracking_url("德邦快递", "DB1234") is None
