"""Personal data encrypted at rest: household registry codes and phones, cooperatives' bank accounts.

The application encrypts before a value reaches the database (AES-256-GCM from `cryptography`), so a
copy of the database or a backup holds no plaintext. Equality lookups (is this registry code already on
file?) use a blind index: a keyed HMAC of the normalised value, stored beside the ciphertext.

Keys come from DATA_KEY (required in production) and, while a rotation is under way, DATA_KEYS_OLD
(comma-separated earlier keys, still read but never written). Both the cipher key and the index key are
derived from DATA_KEY with HKDF, so one secret is all an operator keeps. `flask --app shop keys rotate`
re-encrypts every value and recomputes every index under the current key (docs/DEPLOY.md).

A stored value reads `enc1:<key id>:<base64 of nonce, ciphertext and tag>`. The column's name is bound
into each ciphertext (GCM's associated data), so a value copied into another column does not decrypt.
"""
import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import Text
from sqlalchemy.sql import operators
from sqlalchemy.types import TypeDecorator

PREFIX = "enc1"


class DataKeyError(RuntimeError):
    """A stored value was written under a key this installation does not have."""


@dataclass(frozen=True)
class DataKey:
    key_id: str
    cipher: AESGCM
    index_key: bytes


@lru_cache(maxsize=8)
def derive(secret: str) -> DataKey:
    """The cipher and blind-index keys derived from one DATA_KEY secret."""
    def hkdf(info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret.encode())

    cipher_key = hkdf(b"longnan-shop field encryption v1")
    return DataKey(key_id=hashlib.sha256(cipher_key).hexdigest()[:8], cipher=AESGCM(cipher_key),
                   index_key=hkdf(b"longnan-shop blind index v1"))


def current_key() -> DataKey:
    return derive(current_app.config["DATA_KEY"])


def known_keys() -> list[DataKey]:
    """The current key first, then the old ones still being rotated away."""
    return [current_key()] + [derive(s) for s in current_app.config.get("DATA_KEYS_OLD", ())]


def encrypt(plaintext: str, purpose: str, key: DataKey | None = None) -> str:
    key = key or current_key()
    nonce = os.urandom(12)
    sealed = key.cipher.encrypt(nonce, plaintext.encode(), purpose.encode())
    return f"{PREFIX}:{key.key_id}:{base64.b64encode(nonce + sealed).decode()}"


def key_id_of(stored: str) -> str:
    return stored.split(":", 2)[1]


def decrypt(stored: str, purpose: str) -> str:
    prefix, key_id, body = stored.split(":", 2)
    if prefix != PREFIX:
        raise DataKeyError(f"not an encrypted value ({prefix!r})")
    key = next((k for k in known_keys() if k.key_id == key_id), None)
    if key is None:
        raise DataKeyError(f"value written under key {key_id}, which is neither DATA_KEY nor in DATA_KEYS_OLD")
    raw = base64.b64decode(body)
    return key.cipher.decrypt(raw[:12], raw[12:], purpose.encode()).decode()


def blind_index(value: str | None, key: DataKey | None = None) -> str | None:
    """The keyed HMAC that stands for a value in lookups and unique constraints (None for no value)."""
    if not value:
        return None
    key = key or current_key()
    return hmac.new(key.index_key, value.strip().upper().encode(), hashlib.sha256).hexdigest()


def blind_indexes(value: str) -> list[str]:
    """The value's index under every known key, so lookups still find rows during a rotation."""
    return [blind_index(value, key) for key in known_keys()]


class Encrypted(TypeDecorator):
    """A string column stored encrypted; reads and writes plain strings. `purpose` names the column."""

    impl = Text
    cache_ok = True

    class comparator_factory(Text.Comparator):
        def operate(self, op, *other, **kwargs):
            # Each encryption is different, so == or LIKE on ciphertext would silently match nothing.
            if op not in (operators.is_, operators.is_not):
                raise TypeError("an encrypted column cannot be compared in SQL; use its blind index")
            return super().operate(op, *other, **kwargs)

    def __init__(self, purpose: str):
        super().__init__()
        self.purpose = purpose

    def process_bind_param(self, value, dialect):
        if value is None or value == "":
            return value  # "no value" stays visible as such; it reveals nothing
        return encrypt(value, self.purpose)

    def process_result_value(self, value, dialect):
        if value is None or value == "":
            return value
        return decrypt(value, self.purpose)


def rotate_data_key() -> dict[str, int]:
    """Re-encrypt under DATA_KEY every value still written under an old key, and recompute every blind
    index (a `<column>_index` beside an encrypted `<column>`). Returns how many values each column had
    re-encrypted. The caller commits: the whole rotation is one transaction."""
    from sqlalchemy import bindparam, select, type_coerce, update

    from shop.extensions import db

    current = f"{PREFIX}:{current_key().key_id}:"
    counts = {}
    for table in db.metadata.sorted_tables:
        by_id = update(table).where(table.c.id == bindparam("row_id"))
        for column in (c for c in table.columns if isinstance(c.type, Encrypted)):
            raw = type_coerce(column, Text)
            stale = db.session.execute(select(table.c.id, raw).where(
                raw.is_not(None), raw != "", ~raw.startswith(current, autoescape=True))).all()
            if stale:  # one executemany: each value decrypted under its old key, written under the current one
                db.session.execute(by_id.values({column.name: bindparam("value", type_=column.type)}),
                                   [{"row_id": i, "value": decrypt(v, column.type.purpose)} for i, v in stale])
            counts[f"{table.name}.{column.name}"] = len(stale)
            index = table.columns.get(f"{column.name}_index")
            if index is not None:
                rows = db.session.execute(select(table.c.id, column)).all()
                if rows:
                    db.session.execute(by_id.values({index.name: bindparam("value")}),
                                       [{"row_id": i, "value": blind_index(v)} for i, v in rows])
    return counts
