"""Language choice and bilingual fields."""
from flask import Flask, request, session
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.datastructures import LanguageAccept


def select_locale() -> str:
    """Pick the language: the switch, then the account, then the browser, then Chinese."""
    langs = ("zh", "en")
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


def l10n(obj, field: str) -> str:
    """Return obj.<field>_en or obj.<field>_zh for the current language, falling back to Chinese."""
    value = getattr(obj, f"{field}_{lang()}", "") or getattr(obj, f"{field}_zh", "")
    return value


def init_app(app: Flask) -> None:
    app.jinja_env.filters["l10n"] = l10n
    app.jinja_env.globals["current_lang"] = lang
