"""Column types shared by the models, and the shop's clock."""
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime, stored naive-UTC so SQLite and PostgreSQL agree."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store aware UTC datetimes only")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=timezone.utc)


# Set only inside clock_at(); None means the real clock.
_clock: ContextVar[datetime | None] = ContextVar("shop_clock", default=None)


def utcnow() -> datetime:
    """Now, as an aware UTC datetime: the real time, or the moment clock_at() holds the clock at."""
    held = _clock.get()
    return datetime.now(timezone.utc) if held is None else held


@contextmanager
def clock_at(when: datetime) -> Iterator[datetime]:
    """Hold utcnow() (and so today_local() and every model default) at `when` inside the block.

    For loading history through the real services (seed-demo); nothing else sets it. `when` must be
    aware; it is used in UTC. Blocks nest, and each one ends by restoring the clock it found.
    """
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("clock_at needs an aware datetime")
    token = _clock.set(when.astimezone(timezone.utc))
    try:
        yield when.astimezone(timezone.utc)
    finally:
        _clock.reset(token)


SHOP_TZ = ZoneInfo("Asia/Shanghai")


def today_local() -> date:
    """Today's date where the shop's people live (Asia/Shanghai), not in UTC."""
    return utcnow().astimezone(SHOP_TZ).date()


def one_of(column: str, values: tuple[str, ...]) -> str:
    """SQL for a CHECK that a column holds one of the given strings."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"
