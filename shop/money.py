"""Money in integer fen, rates in integer basis points, exact splits. No floats anywhere."""
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence, TypeVar

from flask import Flask

K = TypeVar("K")
BP_WHOLE = 10_000
MAX_YUAN = 10_000_000
# The most one payment can carry (Stripe takes eight digits of fen); far below the 2**31 fen an amount column holds.
MAX_PAYMENT_FEN = 99_999_999
_FULLWIDTH = {0x3000: " ", 0xFFE5: "¥", **{0xFF01 + i: chr(0x21 + i) for i in range(94)}}
_YUAN_RE = re.compile(r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]{1,2})?")
_PERCENT_RE = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,2})?")


def _int(value: object, name: str) -> int:
    if type(value) is not int:  # bool and floats are refused
        raise ValueError(f"{name} must be an int, got {type(value).__name__}")
    return value


def apply_bp(amount_fen: int, bp: int) -> int:
    """Return amount × bp / 10000 rounded half-up (half away from zero for negatives)."""
    _int(amount_fen, "amount_fen")
    if not 0 <= _int(bp, "bp") <= BP_WHOLE:
        raise ValueError(f"bp must be within 0..{BP_WHOLE}, got {bp}")
    fen = (abs(amount_fen) * bp + BP_WHOLE // 2) // BP_WHOLE
    return -fen if amount_fen < 0 else fen


def split_exact(total_fen: int, weights: Sequence[tuple[K, int | Fraction]]) -> list[tuple[K, int]]:
    """Split total over weights by largest remainder; ties go to the earlier item."""
    _int(total_fen, "total_fen")
    if not weights:
        raise ValueError("weights must not be empty")
    ws = []
    for _, w in weights:
        if type(w) is not int and not isinstance(w, Fraction):
            raise ValueError(f"weight must be an int or Fraction, got {type(w).__name__}")
        if w < 0:
            raise ValueError(f"weight must not be negative, got {w}")
        ws.append(Fraction(w))
    whole = sum(ws, Fraction(0))
    if whole == 0:
        raise ValueError("at least one weight must be positive")
    total = abs(total_fen)
    exact = [total * w / whole for w in ws]
    parts = [e.numerator // e.denominator for e in exact]
    leftover = total - sum(parts)
    by_remainder = sorted(range(len(ws)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in by_remainder[:leftover]:
        parts[i] += 1
    sign = -1 if total_fen < 0 else 1
    return [(key, sign * part) for (key, _), part in zip(weights, parts)]


@dataclass(frozen=True)
class LotSource:
    """Units an order line took from one supply lot, and who supplied that lot."""

    lot_id: int
    units_taken: int
    shares: tuple[tuple[int | None, int], ...]  # (household_id or None for the coop's own stock, units)


@dataclass(frozen=True)
class LineSplit:
    """Where one order line's gross amount goes: F + K + sum(shares) == G."""

    gross_fen: int
    commission_fen: int
    retention_fen: int
    household_pool_fen: int  # H after shares with no household moved to retention; = sum of shares
    household_shares: tuple[tuple[int, int], ...]  # (household_id, fen), sorted by household id


def split_line(gross_fen: int, commission_bp: int, retention_bp: int,
               sources: Sequence[LotSource]) -> LineSplit:
    """Split one order line into commission, retention and per-household shares."""
    commission = apply_bp(gross_fen, commission_bp)
    retention = apply_bp(gross_fen - commission, retention_bp)
    pool = gross_fen - commission - retention
    # One weight per household, summed over the lots the line took from, so that nobody ends more
    # than one fen from their exact share; the cooperative's own stock (None) ranks last in a tie.
    weights: dict[int | None, Fraction] = {}
    for src in sources:
        if _int(src.units_taken, "units_taken") < 0:
            raise ValueError("units_taken must not be negative")
        lot_total = sum(_int(units, "share units") for _, units in src.shares)
        if any(units < 0 for _, units in src.shares) or lot_total <= 0:
            raise ValueError(f"lot {src.lot_id} needs non-negative share units with a positive total")
        for hh, units in src.shares:
            weights[hh] = weights.get(hh, Fraction(0)) + Fraction(src.units_taken * units, lot_total)
    ordered = sorted(weights.items(), key=lambda w: (w[0] is None, w[0] or 0))
    per_household: dict[int, int] = {}
    for hh, fen in split_exact(pool, ordered) if ordered else [(None, pool)]:
        if hh is None:  # the cooperative's own stock, or no sources at all: retention
            retention += fen
        else:
            per_household[hh] = per_household.get(hh, 0) + fen
    shares = tuple(sorted(per_household.items()))
    return LineSplit(gross_fen, commission, retention, sum(fen for _, fen in shares), shares)


def reverse_parts(refund_fen: int, parts: Sequence[tuple[K, int]]) -> list[tuple[K, int]]:
    """Split a refund over what is left of each part (largest remainder, ties to the earlier part);
    refunding everything left returns every part exactly, and no part goes below zero."""
    whole = sum(_int(fen, "part") for _, fen in parts)
    if any(fen < 0 for _, fen in parts):
        raise ValueError("parts must not be negative")
    if not 0 <= _int(refund_fen, "refund_fen") <= whole:
        raise ValueError(f"refund must be within 0..{whole}, got {refund_fen}")
    if whole == 0:
        return [(key, 0) for key, _ in parts]
    return split_exact(refund_fen, parts)


def fill_in_order(amount_fen: int, room: Sequence[tuple[K, int]]) -> list[tuple[K, int]]:
    """Take amount from each place in turn, each up to its room; return the non-zero takes."""
    if not 0 <= _int(amount_fen, "amount_fen") <= sum(fen for _, fen in room):
        raise ValueError(f"amount must be within 0..{sum(fen for _, fen in room)}, got {amount_fen}")
    taken = []
    for key, fen in room:
        take = min(fen, amount_fen)
        if take > 0:
            taken.append((key, take))
            amount_fen -= take
    return taken


def parse_yuan(text: str) -> int:
    """Parse a typed yuan amount such as "¥1,234.50" into fen."""
    if not isinstance(text, str) or len(text) > 40:
        raise ValueError("not an amount")
    s = text.translate(_FULLWIDTH).strip()  # full-width ￥, digits, comma and point as typed by an IME
    s = s.removeprefix("¥").strip()
    if not _YUAN_RE.fullmatch(s):
        raise ValueError(f"not an amount of yuan: {text!r}")
    yuan, _, frac = s.replace(",", "").partition(".")
    fen = int(yuan) * 100 + int(frac.ljust(2, "0"))
    if fen > MAX_YUAN * 100:
        raise ValueError(f"amount too large: {text!r}")
    return fen


def parse_percent(text: str) -> int:
    """Parse a typed percentage such as "5", "7.25" or "7.25%" (at most two decimals, 0 to 100) into
    basis points."""
    if not isinstance(text, str) or len(text) > 20:
        raise ValueError("not a percentage")
    s = text.translate(_FULLWIDTH).strip().removesuffix("%").strip()  # full-width digits and ％ from an IME
    if not _PERCENT_RE.fullmatch(s):
        raise ValueError(f"not a percentage with at most two decimals: {text!r}")
    whole, _, frac = s.partition(".")
    bp = int(whole) * 100 + int(frac.ljust(2, "0"))
    if bp > BP_WHOLE:
        raise ValueError(f"more than 100%: {text!r}")
    return bp


def bp_to_percent_str(bp: int) -> str:
    """Render basis points as a plain percentage to type back, such as "7.25" (no % sign)."""
    return bp_percent(bp).removesuffix("%")


def fen_to_yuan_str(fen: int) -> str:
    """Render fen as a plain yuan string such as "1234.50"."""
    yuan, rest = divmod(abs(_int(fen, "fen")), 100)
    return f"{'-' if fen < 0 else ''}{yuan}.{rest:02d}"


def format_fen(fen: int, locale: str = "zh") -> str:
    """Render fen for display such as "¥1,234.50" (same for zh and en)."""
    yuan, rest = divmod(abs(_int(fen, "fen")), 100)
    return f"{'-' if fen < 0 else ''}¥{yuan:,}.{rest:02d}"


def bp_percent(bp: int) -> str:
    """Render basis points as a percentage such as "12.5%"."""
    whole, rest = divmod(abs(_int(bp, "bp")), 100)
    text = f"{whole}.{rest:02d}".rstrip("0").rstrip(".")
    return f"{'-' if bp < 0 else ''}{text}%"


def init_app(app: Flask) -> None:
    """Register the `fen` and `bp_percent` Jinja filters."""
    from flask_babel import get_locale

    def fen_filter(fen: int) -> str:
        loc = get_locale()
        return format_fen(fen, loc.language if loc else "zh")

    app.jinja_env.filters["fen"] = fen_filter
    app.jinja_env.filters["bp_percent"] = bp_percent
