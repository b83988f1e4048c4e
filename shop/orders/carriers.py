"""The parcel carriers cooperatives ship with: names, the shape of their tracking numbers, tracking pages.

A shipment stores the carrier's Chinese name (as typed before this list existed, and as the seed history
uses), so a name not in the list is an "other" carrier, shown as typed and without a tracking link."""
import re
from dataclasses import dataclass
from urllib.parse import quote

from flask_babel import lazy_gettext as _l

from shop.i18n import lang

OTHER = "other"


@dataclass(frozen=True)
class Carrier:
    code: str  # kuaidi100's company code, used in the tracking link
    name_zh: str
    name_en: str
    pattern: str  # a whole tracking number, after spaces and dashes are taken out and letters upper-cased
    example: str


CARRIERS = (
    Carrier("shunfeng", "顺丰速运", "SF Express", r"SF\d{13}|\d{12}", "SF1234567890123"),
    Carrier("zhongtong", "中通快递", "ZTO Express", r"\d{12,15}", "75123456789012"),
    Carrier("yuantong", "圆通速递", "YTO Express", r"YT\d{13}", "YT1234567890123"),
    Carrier("yunda", "韵达快递", "Yunda Express", r"\d{13}|\d{15}", "4312345678901"),
    Carrier("shentong", "申通快递", "STO Express", r"\d{12,15}", "773123456789012"),
    Carrier("jtexpress", "极兔速递", "J&T Express", r"JT\d{13}", "JT1234567890123"),
    Carrier("ems", "中国邮政 EMS", "China Post EMS", r"\d{13}|[A-Z]{2}\d{9}[A-Z]{2}", "1100123456789"),
    Carrier("jd", "京东物流", "JD Logistics", r"JD[A-Z]{0,2}\d{11,13}", "JDVA12345678901"),
)
BY_CODE = {c.code: c for c in CARRIERS}
BY_NAME = {c.name_zh: c for c in CARRIERS}
OTHER_PATTERN = r"[A-Z0-9]{4,40}"
TRACKING_URL = "https://www.kuaidi100.com/chaxun?com={code}&nu={number}"


class TrackingNumberError(ValueError):
    """The tracking number does not have the carrier's shape; the message is for the manager."""


def normalize_tracking(carrier_code: str, text: str) -> str:
    """Return the tracking number without spaces or dashes, upper-cased, or raise TrackingNumberError."""
    number = re.sub(r"[\s\-]", "", text or "").upper()
    carrier = BY_CODE.get(carrier_code)
    if carrier is None:
        if not re.fullmatch(OTHER_PATTERN, number):
            raise TrackingNumberError(_l("A tracking number has 4 to 40 letters and digits."))
    elif not re.fullmatch(carrier.pattern, number):
        raise TrackingNumberError(_l("This is not a %(carrier)s tracking number: they look like %(example)s.",
                                     carrier=carrier_label(carrier), example=carrier.example))
    return number


def carrier_label(carrier: Carrier) -> str:
    """Return the carrier's name in the current language."""
    return carrier.name_en if lang() == "en" else carrier.name_zh


def carrier_name(stored: str) -> str:
    """Return a shipment's carrier name in the current language (an "other" carrier as it was typed)."""
    carrier = BY_NAME.get(stored)
    return carrier_label(carrier) if carrier else stored


def tracking_url(stored_carrier: str, tracking_no: str) -> str | None:
    """Return the carrier's tracking page for a parcel, or None for a carrier not in the list."""
    carrier = BY_NAME.get(stored_carrier)
    if carrier is None or not tracking_no:
        return None
    return TRACKING_URL.format(code=carrier.code, number=quote(tracking_no, safe=""))
