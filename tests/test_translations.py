"""Every user-facing string has a Chinese translation; English is the source language."""
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


def test_chinese_catalogue_is_complete(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
                    "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "."], cwd=ROOT, check=True,
                   capture_output=True)
    with pot.open("rb") as f:
        wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    with (ROOT / "shop/translations/zh/LC_MESSAGES/messages.po").open("rb") as f:
        done = {m.id if isinstance(m.id, str) else m.id[0]: m for m in read_po(f) if m.id}
    def translated(m) -> bool:  # a plural message has one string per form, all needed
        return bool(m.string) if isinstance(m.string, str) else all(m.string)

    missing = sorted(w for w in wanted if w not in done or not translated(done[w]) or done[w].fuzzy)
    assert missing == [], f"untranslated: {missing[:20]}"


def test_every_chinese_string_keeps_the_placeholders_of_its_english():
    import re

    with (ROOT / "shop/translations/zh/LC_MESSAGES/messages.po").open("rb") as f:
        catalog = [m for m in read_po(f) if m.id and m.string]
    names = re.compile(r"%\((\w+)\)[sd]")
    wrong = []
    for m in catalog:
        english = m.id if isinstance(m.id, str) else m.id[1]
        for chinese in ([m.string] if isinstance(m.string, str) else m.string):
            if sorted(set(names.findall(english))) != sorted(set(names.findall(chinese))):
                wrong.append((english, chinese))
    assert wrong == []


def test_wtforms_messages_follow_the_language_and_each_catalogue_is_read_once(app, monkeypatch):
    """WTForms' own messages come in the visitor's language, from a catalogue read once per process (not once
    per request, as Flask-WTF would)."""
    from babel import support

    from shop import i18n
    from shop.checkout.forms import CheckoutPlaceForm

    i18n._wtforms_catalogue.cache_clear()
    real, reads = support.Translations.load, []
    monkeypatch.setattr(support.Translations, "load",
                        lambda *a, **kw: reads.append((a, kw)) or real(*a, **kw))
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)  # put back as it was (tests after this one share app)
    for language, message in [("zh", "不是有效的选择。"), ("en", "Not a valid choice."), ("zh", "不是有效的选择。")]:
        with app.test_request_context("/checkout", method="POST", data={"address_id": "7"},
                                      headers={"Accept-Language": language}):
            app.preprocess_request()
            form = CheckoutPlaceForm()
            form.address_id.choices = [(1, "Home")]
            form.validate()
            assert message in form.address_id.errors
    assert [a[1] for a, kw in reads if kw.get("domain") == "wtforms"] == [["zh"], ["en"]]
