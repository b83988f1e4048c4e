"""Public pages and checkout under gunicorn on PostgreSQL, against the ceiling: a bare Flask app that serves
the same page bytes from memory under the same gunicorn settings.

    python bench/public_pages.py [--products 2000] [--seconds 10] [--connections 8] [--workers 2] [--threads 4]
                                 [--buyers 200] [--journey-buyers 40] [--orders 600] [--rounds 5]
                                 [--stock 1500] [--only pages|checkout]

Needs wrk (`apt-get install wrk`), PostgreSQL and Redis on loopback. BENCH_DATABASE_URL names the database
(default postgresql+psycopg://postgres@127.0.0.1:5432/shop_bench_pages; its name must contain "bench"); it
is dropped and made afresh: migrated, the demo data (one month of history) and products up to --products,
each with a lot. Both servers run `gunicorn --workers N --worker-class gthread --threads T` in production
configuration; wrk drives each page for --seconds with --connections connections, anonymous visitors.

Then checkout, on one variant that has --stock units (so that the last buyers find it sold out), by signed-in
buyers each from their own address (as nginx would pass it):
- through the pages: --journey-buyers buyers place --orders one-unit orders, each four requests (product page,
  add to cart, checkout page, place order);
- the order step alone: in each of --rounds rounds all --buyers buyers fill a cart and open the checkout page
  (not timed), then place their orders at once (timed).
Afterwards the database must show exactly --stock units sold, none oversold, and one order per unit.

Prints requests per second, the ratios to the ceiling, queries per page, worker memory before and after
10,000 requests, and orders per second of both checkouts. Asserts nothing but the stock; docs/PERFORMANCE.md
has figures.
"""
import argparse
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path
from urllib.request import Request, urlopen

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, event, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from config import Config  # noqa: E402
from shop import create_app  # noqa: E402
from shop.extensions import db  # noqa: E402
from tests.load.test_two_servers import PASSWORD, Buyer, _free_port, _is_open, field  # noqa: E402

CEILING_APP = '''
import os
from flask import Flask, Response
app = Flask("ceiling")
PAGES = {}
for name in os.listdir(os.environ["CEILING_DIR"]):
    with open(os.path.join(os.environ["CEILING_DIR"], name), "rb") as f:
        PAGES[name] = f.read()
@app.get("/<name>")
def page(name):
    return Response(PAGES[name], content_type="text/html; charset=utf-8")
'''


def fresh_database(url: str) -> None:
    parsed = make_url(url)
    assert "bench" in parsed.database, "the benchmark database's name must contain 'bench'"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def load(url: str, products: int, buyers: int, stock: int, data_key: str) -> tuple[str, int, str]:
    """Migrate and fill the database; return a product slug, the checkout variant's id and its slug."""
    from flask_migrate import upgrade

    from shop.catalog.models import Product, Variant
    from shop.coops.models import Cooperative
    from shop.households.models import Household
    from shop.seed import seed_demo
    from shop.supply.services import record_supply_lot
    from tests.factories import make_address, make_user

    class Cfg(Config):
        SQLALCHEMY_DATABASE_URI = url
        DATA_KEY = data_key  # the servers' key: they must read what the load encrypted

    app = create_app(Cfg)
    with app.app_context():
        upgrade()
        seed_demo(history_months=1)
        db.session.commit()
        templates = db.session.scalars(select(Product).where(Product.is_published.is_(True))
                                       .order_by(Product.id)).all()
        have = db.session.scalar(select(func.count()).select_from(Product))
        for i in range(max(0, products - have)):
            model = templates[i % len(templates)]
            coop = db.session.get(Cooperative, model.coop_id)
            copy = Product(coop_id=coop.id, category_id=model.category_id, origin_village_id=model.origin_village_id,
                           slug=f"bench-{i}", name_zh=f"{model.name_zh} {i}号", name_en=f"{model.name_en} No. {i}",
                           description_zh=model.description_zh, description_en=model.description_en,
                           is_published=True)
            variant = Variant(product=copy, sku=f"BENCH-{i}", name_zh="500 g", name_en="500 g",
                              price_fen=3000 + (i * 37) % 9000, net_weight_g=500)
            db.session.add_all([copy, variant])
            db.session.flush()
            household = db.session.scalar(select(Household.id).where(Household.coop_id == coop.id,
                                                                     Household.anonymised_at.is_(None)).limit(1))
            record_supply_lot(coop, variant.id, 50, date(2026, 9, 1), [(household, 50)], None)
            if i % 200 == 199:
                db.session.commit()
        # The checkout product: one variant with `stock` units.
        model = templates[0]
        coop = db.session.get(Cooperative, model.coop_id)
        target = Product(coop_id=coop.id, category_id=model.category_id, origin_village_id=model.origin_village_id,
                         slug="bench-checkout", name_zh="压测核桃", name_en="Benchmark walnuts",
                         description_zh="", description_en="", is_published=True)
        variant = Variant(product=target, sku="BENCH-CHECKOUT", name_zh="1 kg", name_en="1 kg", price_fen=6800,
                          net_weight_g=1000)
        db.session.add_all([target, variant])
        db.session.flush()
        record_supply_lot(coop, variant.id, stock, date(2026, 9, 1), [(None, stock)], None)
        for b in range(buyers):
            make_address(make_user(f"bench-buyer-{b}@example.test", password=PASSWORD))
        db.session.commit()
        slug, variant_id = templates[1].slug, variant.id
        queries = count_queries(app, ["/products", f"/products/{slug}"])
    return slug, variant_id, queries


def count_queries(app, paths: list[str]) -> str:
    seen = []
    app.config["PAGE_CACHE_SECONDS"] = 0  # the queries of a page as rendered, not of a cache hit
    event.listen(db.engine, "before_cursor_execute", lambda *a: seen.append(1))
    client = app.test_client()
    counts = []
    for path in paths:
        client.get(path)  # warm
        seen.clear()
        client.get(path)
        counts.append(f"{path} {len(seen)}")
    return ", ".join(counts)


def gunicorn(app_spec: str, port: int, workers: int, env: dict, log: Path, threads: int = 4) -> subprocess.Popen:
    binary = Path(sys.executable).with_name("gunicorn")
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(binary), "--workers", str(workers), "--worker-class", "gthread",
                                 "--threads", str(threads), "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "2",
                                 app_spec], cwd=env.get("CWD", ROOT), env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while not _is_open(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(log.read_text("utf-8", "replace")[-3000:])
        time.sleep(0.2)
    return proc


def wrk(url: str, seconds: int, connections: int) -> tuple[float, int]:
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-H", "Accept-Language: zh", url],
                         capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    done = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        print(f"  ! {errors.group(1)} answers were not 2xx/3xx for {url}")
    return rate, done


def worker_rss_mb(master: subprocess.Popen) -> list[float]:
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    sizes = []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        sizes.append(int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024)
    return sizes


def signed_in_buyers(port: int, buyers: int) -> list[Buyer]:
    people = [Buyer(f"10.9.{b // 250}.{b % 250 + 1}") for b in range(buyers)]
    for b, person in enumerate(people):
        assert person.log_in(port, f"bench-buyer-{b}@example.test") == 302
    return people


LOAD_CPU = [0.0]


def in_threads(people: list[Buyer], work) -> float:
    """Run work(person) in one thread per buyer; return the seconds it took. The CPU seconds this process (the
    load generator) spent are added to LOAD_CPU: on one machine they are taken from the servers."""
    threads = [threading.Thread(target=work, args=(p,)) for p in people]
    started, cpu = time.perf_counter(), time.process_time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    LOAD_CPU[0] += time.process_time() - cpu
    return time.perf_counter() - started


def checkout(port: int, people: list[Buyer], orders: int, variant_id: int) -> tuple[float, int, int]:
    """Buyers place one-unit orders through the pages; return (orders per second, placed, refused)."""
    placed, refused, lock = [0], [0], threading.Lock()
    todo = iter(range(orders))

    def run(person: Buyer) -> None:
        while True:
            with lock:
                if next(todo, None) is None:
                    return
            number = person.buy(port, "bench-checkout", variant_id, 1)
            with lock:
                (placed if number else refused)[0] += 1

    seconds = in_threads(people, run)
    return placed[0] / seconds, placed[0], refused[0]


def placing(port: int, people: list[Buyer], rounds: int, variant_id: int) -> tuple[float, int, int, float]:
    """The order step alone: in each round every buyer fills a cart and opens the checkout page (not timed), then
    all of them place their orders at once (timed). Return (orders per second, placed, refused, the cores the
    load generator kept busy meanwhile)."""
    placed, refused, lock, seconds, cpu = [0], [0], threading.Lock(), 0.0, 0.0
    for _round in range(rounds):
        ready = {}

        def prepare(person: Buyer) -> None:
            csrf, _ = person.token(port, "/products/bench-checkout")
            person.call(port, "POST", "/cart/add", {"csrf_token": csrf, "variant_id": variant_id, "quantity": 1})
            csrf, page = person.token(port, "/checkout")
            if 'name="checkout_token"' in page:
                ready[person] = {"csrf_token": csrf, "checkout_token": field(page, "checkout_token"),
                                 "address_id": field(page, "address_id")}

        def place(person: Buyer) -> None:
            if person not in ready:
                return
            status, _, location = person.call(port, "POST", "/checkout", ready[person])
            with lock:
                (placed if status == 302 and "/pay/" in location else refused)[0] += 1

        in_threads(people, prepare)
        if not ready:
            break
        before = LOAD_CPU[0]
        seconds += in_threads(people, place)
        cpu += LOAD_CPU[0] - before
    return placed[0] / seconds if seconds else 0.0, placed[0], refused[0], cpu / seconds if seconds else 0.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--products", type=int, default=2000)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--buyers", type=int, default=200)
    ap.add_argument("--journey-buyers", type=int, default=40)
    ap.add_argument("--orders", type=int, default=600)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--stock", type=int, default=1500)
    ap.add_argument("--only", choices=("pages", "checkout"))
    args = ap.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")
    url = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/shop_bench_pages")
    fresh_database(url)
    started, data_key = time.perf_counter(), secrets.token_hex(32)
    slug, variant_id, queries = load(url, args.products, args.buyers, args.stock, data_key)
    print(f"loaded {args.products} products in {time.perf_counter() - started:.0f} s; queries per page: {queries}")

    tmp = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    env = os.environ | {"SHOP_CONFIG": "production", "SECRET_KEY": secrets.token_hex(32),
                        "DATA_KEY": data_key, "DATABASE_URL": url, "TRUSTED_HOSTS": "127.0.0.1",
                        "PROXY_COUNT": "1", "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/8"),
                        "MAIL_BACKEND": "console", "STRIPE_SECRET_KEY": "sk_test_bench",
                        "STRIPE_WEBHOOK_SECRET": "whsec_bench", "SHOP_INSTANCE_DIR": str(tmp),
                        "PYTHONDONTWRITEBYTECODE": "1"}
    shop_port, ceiling_port = _free_port(), _free_port()
    shop = gunicorn("shop:create_app()", shop_port, args.workers, env, tmp / "shop.log", args.threads)
    pages = {"catalogue": "/products", "product": f"/products/{slug}"}
    (tmp / "ceiling").mkdir()
    for name, path in pages.items():
        request = Request(f"http://127.0.0.1:{shop_port}{path}", headers={"Accept-Language": "zh"})
        (tmp / "ceiling" / name).write_bytes(urlopen(request).read())
    (tmp / "ceiling_app.py").write_text(CEILING_APP)
    ceiling = gunicorn("ceiling_app:app", ceiling_port, args.workers,
                       env | {"CEILING_DIR": str(tmp / "ceiling"), "CWD": str(tmp)}, tmp / "ceiling.log", args.threads)
    try:
        placed = 0
        if args.only != "checkout":
            print(f"gunicorn: {args.workers} gthread workers x {args.threads} threads; wrk: {args.connections} connections, "
                  f"{args.seconds} s a page")
            for name, path in pages.items():
                ours, _ = wrk(f"http://127.0.0.1:{shop_port}{path}", args.seconds, args.connections)
                top, _ = wrk(f"http://127.0.0.1:{ceiling_port}/{name}", args.seconds, args.connections)
                print(f"{name:10} {path:28} shop {ours:8.1f} req/s   ceiling {top:8.1f} req/s   ratio {ours / top:.3f}")
            before = worker_rss_mb(shop)
            done = 0
            while done < 10_000:
                done += wrk(f"http://127.0.0.1:{shop_port}{pages['catalogue']}", 5, args.connections)[1]
                done += wrk(f"http://127.0.0.1:{shop_port}{pages['product']}", 5, args.connections)[1]
            after = worker_rss_mb(shop)
            print(f"worker memory: {', '.join(f'{m:.0f}' for m in before)} MB before, "
                  f"{', '.join(f'{m:.0f}' for m in after)} MB after {done:,} more requests")
        if args.only != "pages":
            people = signed_in_buyers(shop_port, args.buyers)
            rate, placed, refused = checkout(shop_port, people[:args.journey_buyers], args.orders, variant_id)
            print(f"checkout through the pages: {rate:.1f} orders/s ({placed} placed, {refused} found it sold out; "
                  f"{args.journey_buyers} buyers, each order 4 requests)")
            rate, more, refused, busy = placing(shop_port, people, args.rounds, variant_id)
            placed += more
            print(f"placing orders: {rate:.1f} orders/s ({more} placed, {refused} refused; {args.buyers} buyers "
                  f"placing at once, {args.rounds} rounds; the load generator kept {busy:.2f} of {os.cpu_count()} cores busy)")
    finally:
        for proc in (shop, ceiling):
            proc.terminate()
            proc.wait(15)
    verify_stock(url, variant_id, args.stock, placed)


def verify_stock(url: str, variant_id: int, stock: int, placed: int) -> None:
    engine = create_engine(url)
    with engine.connect() as conn:
        remaining = conn.execute(text("SELECT sum(units_remaining) FROM supply_lots WHERE variant_id = :v"),
                                 {"v": variant_id}).scalar()
        sold = conn.execute(text("SELECT coalesce(sum(a.units), 0) FROM allocations a JOIN supply_lots l "
                                 "ON l.id = a.lot_id WHERE l.variant_id = :v AND a.released_at IS NULL"), {"v": variant_id}).scalar()
        orders = conn.execute(text("SELECT count(DISTINCT o.id) FROM orders o JOIN order_lines l ON "
                                   "l.order_id = o.id WHERE l.variant_id = :v"), {"v": variant_id}).scalar()
    engine.dispose()
    print(f"stock: {stock} units, {sold} reserved or sold, {remaining} left, {orders} orders")
    assert remaining >= 0 and sold + remaining == stock and sold == orders == placed, "oversold or lost"


if __name__ == "__main__":
    main()
