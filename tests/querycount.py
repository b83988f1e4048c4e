"""Count the SQL statements a block of code sends, for query budgets."""
from contextlib import contextmanager

from sqlalchemy import event


@contextmanager
def count_queries(engine):
    """Yield a list that collects every statement executed on engine inside the block."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def page_queries(app, client, url: str, headers: dict | None = None) -> int:
    """How many statements a warm GET of the page sends (the first request may open connections)."""
    from shop.extensions import db

    with app.app_context():
        engine = db.engine
    client.get(url, headers=headers)
    with count_queries(engine) as statements:
        resp = client.get(url, headers=headers)
    assert resp.status_code == 200, url
    return len(statements)
