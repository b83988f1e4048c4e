"""Keep the Chinese catalogue in step with the code.

    python scripts/i18n.py update          extract strings, merge into zh, list the untranslated
    python scripts/i18n.py fill FILE.json  set msgstr from a {"msgid": "译文"} file (plural: a list)
"""
import fcntl
import json
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "shop/translations/zh/LC_MESSAGES/messages.po"
POT = ROOT / "instance/messages.pot"


def update() -> list[str]:
    POT.parent.mkdir(exist_ok=True)
    run = [sys.executable, "-m", "babel.messages.frontend"]
    subprocess.run(run + ["extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "--no-location",
                          "-o", str(POT), "."], cwd=ROOT, check=True, capture_output=True)
    subprocess.run(run + ["update", "-i", str(POT), "-d", "shop/translations", "-l", "zh", "--no-fuzzy-matching",
                          "--ignore-obsolete"], cwd=ROOT, check=True, capture_output=True)
    with PO.open("rb") as f:
        catalog = read_po(f)
    return [m.id if isinstance(m.id, str) else m.id[0] for m in catalog
            if m.id and not (m.string if isinstance(m.string, str) else all(m.string))]


def fill(path: str) -> None:
    table = json.loads(Path(path).read_text("utf-8"))
    with PO.open("rb") as f:
        catalog = read_po(f)
    for message in catalog:
        key = message.id if isinstance(message.id, str) else message.id[0]
        if key in table:
            value = table[key]
            if isinstance(message.id, tuple):  # Chinese has one plural form: a plain string is that form
                value = (value,) if isinstance(value, str) else tuple(value)
            message.string = value
            message.flags.discard("fuzzy")
    with PO.open("wb") as f:
        catalog.fuzzy = False
        write_po(f, catalog, width=0)


if __name__ == "__main__":
    # Several people may run this at once: one at a time.
    lock = open(ROOT / "instance/.i18n.lock", "w") if (ROOT / "instance").mkdir(exist_ok=True) is None else None
    fcntl.flock(lock, fcntl.LOCK_EX)
    if sys.argv[1:2] == ["update"]:
        missing = update()
        print(json.dumps(missing, ensure_ascii=False, indent=1))
        print(f"{len(missing)} untranslated", file=sys.stderr)
    elif sys.argv[1:2] == ["fill"]:
        update()  # so that strings added since the last update are there to fill
        fill(sys.argv[2])
        print(f"{len(update())} untranslated", file=sys.stderr)
