"""Benchmark the storefront's read pages on the demo data: latency, queries per page, peak memory.

    python bench/catalog_queries.py [requests-per-page]      (DATABASE_URL picks the database; default a temp SQLite)

Prints figures; it asserts nothing. Query budgets are fixed and tested in tests/catalog and tests/orders.
"""
import os
import resource
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, select  # noqa: E402

from config import Config  # noqa: E402
from shop import create_app  # noqa: E402
from shop.catalog.models import Product  # noqa: E402
from shop.extensions import db  # noqa: E402
from shop.seed import seed_demo  # noqa: E402


def main(n: int) -> None:
    tmp = tempfile.mkdtemp(prefix="shop-bench-")

    class Cfg(Config):
        SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
        UPLOAD_DIR = f"{tmp}/uploads"
        RATELIMIT_ENABLED = False
        PAGE_CACHE_SECONDS = 0  # the uncached path: bench/page_cache.py measures the cache

    app = create_app(Cfg)
    with app.app_context():
        upgrade()
        seed_demo()
        db.session.commit()
        slug = db.session.scalar(select(Product.slug).order_by(Product.id))
        engine = db.engine
    client = app.test_client()
    count = [0]
    event.listen(engine, "before_cursor_execute", lambda *a: count.__setitem__(0, count[0] + 1))
    print(f"{'page':<34}{'p50 ms':>9}{'p95 ms':>9}{'queries':>9}")
    for path in ("/", "/products", "/products?q=核桃&sort=price_asc", f"/products/{slug}", "/coops", "/cart"):
        client.get(path)  # warm up
        times = []
        for _ in range(n):
            count[0] = 0
            start = time.perf_counter()
            assert client.get(path).status_code == 200
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        p95 = times[int(len(times) * 0.95) - 1]
        print(f"{path:<34}{statistics.median(times):>9.1f}{p95:>9.1f}{count[0]:>9}")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
