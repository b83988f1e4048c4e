"""The QR code printed on a lot label, as Chromium draws it, decodes (zxing-cpp) to the trace page's public
address; that address opens the lot's page."""
import io

import zxingcpp
from PIL import Image

from shop.extensions import db
from tests.browser.steps import sign_in
from tests.ledger.ledger_world import Walnuts

PASSWORD = "label-pass-2026"


def test_the_printed_qr_code_decodes_to_the_lots_trace_page(app, page, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://shop.example.cn")
    with app.app_context():
        w = Walnuts()
        manager = db.session.get(type(w.manager), w.manager.id)
        manager.email = "label-coop@example.test"
        manager.set_password(PASSWORD)
        db.session.commit()
        lot_id, code = w.lot.id, w.lot.trace_code
    sign_in(page, "label-coop@example.test", PASSWORD)
    page.goto(f"/coop/lots/{lot_id}/label")
    shot = page.locator(".lot-qr svg").screenshot()
    (found,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
    assert found.format == zxingcpp.BarcodeFormat.QRCode
    assert found.text == f"https://shop.example.cn/trace/{code}"
    page.goto(found.text.removeprefix("https://shop.example.cn"))
    assert code in page.content() and page.locator("h1").is_visible()
