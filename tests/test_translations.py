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
