"""Language choice and bilingual fields."""
from functools import cache

from babel import support
from flask import Flask, has_request_context, request, session
from flask_babel import format_date, format_time, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.datastructures import LanguageAccept
from wtforms.i18n import messages_path


def select_locale() -> str:
    """Pick the language: the switch, then the account, then the browser, then Chinese."""
    langs = ("zh", "en")
    if not has_request_context():
        return "zh"
    chosen = session.get("lang")
    if chosen in langs:
        return chosen
    if current_user and getattr(current_user, "is_authenticated", False) and current_user.locale in langs:
        return current_user.locale
    accept: LanguageAccept = request.accept_languages
    return accept.best_match(langs) or "zh"


def lang() -> str:
    loc = get_locale()
    return loc.language if loc else "zh"


def colon() -> str:
    """The colon after a label: full-width in Chinese (运费：¥10.00), a colon and a space in English."""
    return "：" if lang() == "zh" else ": "


def local_date(value) -> str:
    """Show a date (or the Shanghai day of a UTC datetime) in the current language: Sep 23, 2026 / 2026年9月23日."""
    return format_date(value, "medium") if value else ""


def local_month(value) -> str:
    """Show a month ("2026-01", or a date in it) in the current language: January 2026 / 2026年1月."""
    from datetime import date

    from babel.dates import format_skeleton

    if not value:
        return ""
    if isinstance(value, str):
        value = date(int(value[:4]), int(value[5:7]), 1)
    return format_skeleton("yMMMM", value, locale=get_locale())


def local_time(value) -> str:
    """Show a UTC datetime in Shanghai time, its date as local_date shows it: Sep 30, 2026, 3:04 PM."""
    if not value:
        return ""
    pattern = get_locale().datetime_formats["medium"]  # how the language joins a date and a time
    return pattern.format(format_time(value, "short"), local_date(value))


def l10n(obj, field: str) -> str:
    """Return obj.<field>_en or obj.<field>_zh for the current language, falling back to Chinese."""
    value = getattr(obj, f"{field}_{lang()}", "") or getattr(obj, f"{field}_zh", "")
    return value


@cache
def _wtforms_catalogue(language: str) -> support.Translations:
    return support.Translations.load(messages_path(), [language], domain="wtforms")


class _WTFormsTranslations:
    """WTForms' own messages ("Not a valid choice.") in the current language, each catalogue read once per
    process. Flask-WTF would read the .mo file again on every request that builds a form; it takes the
    translations from request.wtforms_translations when a request has them."""

    def ugettext(self, string: str) -> str:
        return _wtforms_catalogue(lang()).ugettext(string)

    def ungettext(self, singular: str, plural: str, n: int) -> str:
        return _wtforms_catalogue(lang()).ungettext(singular, plural, n)


_WTFORMS = _WTFormsTranslations()


def _share_wtforms_translations() -> None:
    request.wtforms_translations = _WTFORMS


def init_app(app: Flask) -> None:
    app.before_request(_share_wtforms_translations)
    app.jinja_env.filters["l10n"] = l10n
    app.jinja_env.globals["current_lang"] = lang
    app.jinja_env.globals["colon"] = colon
    app.jinja_env.filters["status_label"] = status_label
    app.jinja_env.filters["buyer_status_label"] = buyer_status_label
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["local_date"] = local_date
    app.jinja_env.filters["local_month"] = local_month


STATUS_LABELS = {
    "pending_payment": _l("Awaiting payment"), "paid": _l("Paid"), "completed": _l("Completed"),
    "cancelled": _l("Cancelled"), "partially_refunded": _l("Partly refunded"), "refunded": _l("Refunded"),
    "awaiting_fulfilment": _l("Being prepared"), "shipped": _l("Shipped"), "delivered": _l("Delivered"),
    "settled": _l("Settled"), "pending": _l("Pending review"), "approved": _l("Approved"),
    "rejected": _l("Rejected"), "suspended": _l("Suspended"),
}


# What a buyer sees: settlement is the shop's business, the parcel is simply delivered.
BUYER_LABELS = STATUS_LABELS | {"settled": _l("Delivered")}


def status_label(status: str) -> str:
    """Return the name of a status, as staff and cooperatives see it."""
    return str(STATUS_LABELS.get(status, status))


def buyer_status_label(status: str) -> str:
    """Return the name of a status as a buyer sees it."""
    return str(BUYER_LABELS.get(status, status))
