"""Requests per second for public pages with the page cache off and on, on the demo data.

    python bench/page_cache.py [seconds-per-measure]     (DATABASE_URL picks the database; default a temp SQLite;
                                                         REDIS_URL adds a run with the pages in Redis)

One anonymous visitor (the Flask test client, keeping its cookies like a browser) asks for each page in a loop
for the given time, single-threaded, so the figures compare the paths rather than the machine's cores. Prints
figures; asserts nothing (tests/cache checks the cache's behaviour)."""
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import select  # noqa: E402

from config import Config  # noqa: E402
from shop import cache, create_app  # noqa: E402
from shop.catalog.models import Product  # noqa: E402
from shop.extensions import db  # noqa: E402
from shop.seed import seed_demo  # noqa: E402


def rate(client, path: str, seconds: float) -> float:
    assert client.get(path).status_code == 200  # warm up (and fill the cache when it is on)
    done, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        resp = client.get(path)
        assert resp.status_code == 200, path
        done += 1
    return done / elapsed


def main(seconds: float) -> None:
    tmp = tempfile.mkdtemp(prefix="shop-bench-")

    class Cfg(Config):
        SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
        UPLOAD_DIR = f"{tmp}/uploads"
        RATELIMIT_ENABLED = False
        REDIS_URL = ""

    app = create_app(Cfg)
    with app.app_context():
        upgrade()
        seed_demo()
        db.session.commit()
        slug = db.session.scalar(select(Product.slug).order_by(Product.id))
    paths = ["/products", "/products?q=核桃&sort=price_asc", f"/products/{slug}", "/"]
    modes = [("off", 0, ""), ("in-process", 300, "")]
    if os.environ.get("REDIS_URL"):
        modes.append(("Redis", 300, os.environ["REDIS_URL"]))
    print(f"{'page':<36}" + "".join(f"{name + ' req/s':>18}" for name, _s, _r in modes))
    for path in paths:
        figures = []
        for _name, ttl, redis_url in modes:
            app.config.update(PAGE_CACHE_SECONDS=ttl, REDIS_URL=redis_url)
            cache.clear_local()
            figures.append(rate(app.test_client(), path, seconds))
        print(f"{path:<36}" + "".join(f"{f:>18.0f}" for f in figures))


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 3)
