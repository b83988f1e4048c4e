"""Benchmark the ledger at scale on PostgreSQL: one cooperative's earnings page, a full `ledger check` and
the staff household report for a year (by village and by household: service, page and CLI) and dashboard, each
against the bare SQL aggregates it needs.

    python bench/ledger_bench.py [--lines 1000000] [--households 10000] [--coops 100] [--runs 9] [--check-runs 3]
                                 [--only earnings|check|reports] [--keep | --load-only] [--resume] [--budget SECONDS]

BENCH_DATABASE_URL names the database (default postgresql+psycopg://postgres@127.0.0.1:5432/shop_bench; its
name must contain "bench"). It is dropped and created afresh, migrated through the app (flask_migrate.upgrade)
and bulk-loaded with set-based SQL (INSERT ... SELECT generate_series, COPY; foreign keys, unique constraints
and indexes are dropped for the load and rebuilt from their definitions afterwards): counties, villages, 100
cooperatives, 10,000 households, products and variants, orders over 12 months with their shipments, order
lines and line shares (1-3 households a line), payments, a few refunds, and the ledger exactly as the services
write it (payment, refund, settlement line by line, monthly payout and payout-paid transactions, numbered in
time order). `check_ledger()` must then find nothing: that proves the load is faithful. Then VACUUM ANALYZE.

BENCH_LINES sets --lines too. --keep leaves the database in place at the end; --load-only loads it and stops;
--resume takes the database of an earlier run, finishes its load if it was paused (--budget pauses a load
between steps, for slow machines) and times it after migrating it to the newest revision.

Prints figures (medians of warm runs, the timed functions taking turns); it asserts nothing but the load's
consistency. docs/PERFORMANCE.md has the figures and how to read them.
"""
import argparse
import math
import os
import random
import resource
import statistics
import sys
import time
from collections import defaultdict
from datetime import datetime, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import psycopg  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from config import Config  # noqa: E402
from shop import create_app  # noqa: E402
from shop.crypto import blind_index, derive, encrypt  # noqa: E402
from shop.ledger.models import ACCOUNTS  # noqa: E402
from shop.money import reverse_parts  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/shop_bench"
LOADED = ("counties", "villages", "categories", "cooperatives", "households", "users", "products", "variants",
          "orders", "shipments", "order_lines", "line_shares", "payments", "refunds", "refund_lines",
          "refund_shipping", "payout_runs", "payouts", "ledger_transactions", "ledger_postings",
          "household_income_months", "ledger_months")
MONTHS = 12
COUNTIES = (("wudu", "武都区", "Wudu"), ("chengxian", "成县", "Cheng"), ("wenxian", "文县", "Wen"),
            ("tanchang", "宕昌县", "Tanchang"), ("kangxian", "康县", "Kang"), ("xihe", "西和县", "Xihe"),
            ("lixian", "礼县", "Li"), ("huixian", "徽县", "Hui"), ("liangdang", "两当县", "Liangdang"))
CATEGORIES = (("walnuts", "核桃", "Walnuts"), ("pepper", "花椒", "Sichuan pepper"), ("olive-oil", "橄榄油", "Olive oil"),
              ("gastrodia", "天麻", "Gastrodia"), ("zhuling", "猪苓", "Zhuling"))


def log(msg: str, since: float | None = None) -> None:
    print(f"  {msg}" + (f" ({time.perf_counter() - since:.1f} s)" if since is not None else ""), flush=True)


def pg_dsn(url: str, database: str | None = None) -> str:
    u = make_url(url)
    return u.set(drivername="postgresql", database=database or u.database).render_as_string(hide_password=False)


def bench_database(url: str) -> str:
    """The database's name, which must say it is a benchmark's: this script drops it."""
    name = make_url(url).database or ""
    if make_url(url).get_backend_name() != "postgresql" or "bench" not in name:
        sys.exit(f"{url!r}: the benchmark needs a PostgreSQL database whose name contains 'bench' (it drops it)")
    return name


def create_database(url: str) -> None:
    name = bench_database(url)
    with psycopg.connect(pg_dsn(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    name = bench_database(url)
    with psycopg.connect(pg_dsn(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---------------------------------------------------------------------------------------------- loading
#
# The load runs in steps. Each one commits and is recorded in bench_load, so that a slow machine can load in
# several runs (--budget, then --resume). Working tables are UNLOGGED bench_* tables, dropped at the end.

STEPS = ("lines", "orders", "refunds", "transactions", "payment_postings", "settlements", "payouts",
         "income_months", "ledger_months", "encrypt", "keys", "vacuum")
PENDING = ("retention_pending", "shipping_pending", "household_pending")
PAYABLE = ("retention_payable", "shipping_payable", "household_payable")


def _drop_keys(cur) -> None:
    """Drop the loaded tables' foreign keys, unique constraints and plain indexes (so that the load does not
    maintain them row by row) and keep, in bench_restore, the statements that put back exactly what the
    migrations made."""
    tables = ", ".join(f"'{t}'::regclass" for t in LOADED)
    cons = cur.execute(f"""SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid)
                           FROM pg_constraint WHERE contype IN ('f', 'u') AND conrelid IN ({tables})""").fetchall()
    idx = cur.execute(f"""SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
                          FROM pg_index i WHERE i.indrelid IN ({tables}) AND NOT i.indisprimary
                          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)""").fetchall()
    restore = list(idx)
    restore += [(name, f'ALTER TABLE {t} ADD CONSTRAINT "{name}" {ddl}') for t, name, kind, ddl in cons if kind == "u"]
    restore += [(name, f'ALTER TABLE {t} ADD CONSTRAINT "{name}" {ddl}') for t, name, kind, ddl in cons if kind == "f"]
    cur.execute("CREATE TABLE bench_restore (n serial PRIMARY KEY, name text, ddl text, done boolean DEFAULT false)")
    cur.executemany("INSERT INTO bench_restore (name, ddl) VALUES (%s, %s)", restore)
    for t, name, _kind, _ddl in sorted(cons, key=lambda c: c[2]):  # foreign keys first
        cur.execute(f'ALTER TABLE {t} DROP CONSTRAINT "{name}"')
    for name, _ddl in idx:
        cur.execute(f"DROP INDEX {name}")


def _step_lines(cur, p: dict) -> None:
    """Places, cooperatives, households, buyers, the catalogue; orders with their shipments (1 or 2
    cooperatives) and lines (1-3 a shipment) cut to exactly p['lines'], each line split and shared."""
    x = cur.execute
    coops, per, start = p["coops"], p["per"], p["start"]
    _drop_keys(cur)
    x("INSERT INTO counties (id, slug, name_zh, name_en) VALUES "
      + ", ".join(f"({i}, '{s}', '{zh}', '{en}')" for i, (s, zh, en) in enumerate(COUNTIES, 1)))
    x("""INSERT INTO villages (id, county_id, name_zh, name_en, altitude_m)
         SELECT v, 1 + (v - 1) % 9, '山村' || v, 'Shancun ' || v, 700 + (v * 37) % 1700
         FROM generate_series(1, 180) v""")
    x("INSERT INTO categories (id, slug, name_zh, name_en, position) VALUES "
      + ", ".join(f"({i}, '{s}', '{zh}', '{en}', {i})" for i, (s, zh, en) in enumerate(CATEGORIES, 1)))
    x(f"""INSERT INTO cooperatives (id, slug, name_zh, name_en, story_zh, story_en, village_id, status,
             registration_no, contact_name, contact_phone, contact_email, products_summary, rejection_reason,
             commission_bp, retention_bp, shipping_fee_fen, free_shipping_over_fen, payout_method,
             stripe_account_id, bank_name, bank_account_name, bank_account_no, created_at, approved_at)
          SELECT c, 'bench-coop-' || c, '山货合作社' || c, 'Mountain Goods Coop ' || c, '', '', 1 + (c - 1) % 180,
                 'approved', '93621200MA' || lpad(c::text, 6, '0'), '联系人' || c, '1380000' || lpad(c::text, 4, '0'),
                 'coop' || c || '@bench.test', '核桃、花椒', '', (ARRAY[300, 500, 800])[1 + c % 3],
                 (ARRAY[500, 1000, 1500])[1 + (c / 3) % 3], 600 + (c % 10) * 100,
                 CASE WHEN c % 4 = 0 THEN 20000 END, 'bank', '', '中国农业银行', '山货合作社' || c,
                 '6228480' || lpad(c::text, 12, '0'), '{start}', '{start}'
          FROM generate_series(1, {coops}) c""")
    x(f"""INSERT INTO households (id, coop_id, joined_on, head_name, village_id, members_count, poor_status,
             poor_since_year, registry_code, phone, created_at)
          SELECT h, 1 + (h - 1) / {per}, DATE '2019-03-01', '户主' || h, 1 + ((h - 1) / {per} + h % 3) % 180,
                 1 + h % 8, CASE WHEN h % 5 < 2 THEN 'confirmed' ELSE 'none' END,
                 CASE WHEN h % 5 < 2 THEN 2014 + h % 3 END, 'BENCH' || lpad(h::text, 12, '0'), NULL, '{start}'
          FROM generate_series(1, {p['households']}) h""")
    x(f"""INSERT INTO users (id, email, password_hash, display_name, locale, is_staff, is_admin, coop_id,
             is_active_account, created_at)
          SELECT u, 'buyer' || u || '@bench.test', '!', '买家' || u, 'zh', false, false, NULL, true, '{start}'
          FROM generate_series(1, {p['buyers']}) u""")
    x(f"""INSERT INTO products (id, coop_id, category_id, origin_village_id, slug, name_zh, name_en, description_zh,
             description_en, is_published, is_featured, created_at)
          SELECT p, 1 + (p - 1) / 5, 1 + (p - 1) % 5, 1 + ((p - 1) / 5) % 180, 'bench-product-' || p,
                 (ARRAY['核桃', '花椒', '橄榄油', '天麻', '猪苓'])[1 + (p - 1) % 5] || p,
                 (ARRAY['Walnuts', 'Sichuan pepper', 'Olive oil', 'Gastrodia', 'Zhuling'])[1 + (p - 1) % 5] || ' ' || p,
                 '描述', 'Description', true, false, '{start}'
          FROM generate_series(1, {coops * 5}) p""")
    x(f"""INSERT INTO variants (id, product_id, sku, name_zh, name_en, price_fen, net_weight_g, is_active)
          SELECT v, 1 + (v - 1) / 2, 'BENCH-' || v, CASE WHEN v % 2 = 1 THEN '250 克' ELSE '1 公斤' END,
                 CASE WHEN v % 2 = 1 THEN '250 g' ELSE '1 kg' END, 1000 + ((v * 7919) % 190) * 100,
                 CASE WHEN v % 2 = 1 THEN 250 ELSE 1000 END, true
          FROM generate_series(1, {coops * 10}) v""")
    n_orders = math.ceil(p["lines"] / 2.4) + 50  # 1.33 shipments of 2 lines an order on average; cut below
    step = timedelta(days=358) / n_orders
    x(f"""CREATE UNLOGGED TABLE bench_orders AS
          SELECT o AS id, random() < 0.01 AS cancelled,
                 TIMESTAMP '{start}' + (o - 1) * INTERVAL '{step.total_seconds()} seconds'
                     + random() * INTERVAL '50 minutes' AS placed_at,
                 CASE WHEN {coops} > 1 AND random() < 1.0 / 3 THEN 2 ELSE 1 END AS nship,
                 floor(random() * {coops})::int AS c0, floor(random() * greatest({coops} - 1, 1))::int AS c1off,
                 INTERVAL '2 minutes' + random() * INTERVAL '28 minutes' AS pay_delay
          FROM generate_series(1, {n_orders}) o""")
    x(f"""CREATE UNLOGGED TABLE bench_ship AS
          SELECT (row_number() OVER (ORDER BY o.id, k))::int AS id, o.id AS order_id,
                 1 + CASE WHEN k = 1 THEN o.c0 ELSE (o.c0 + 1 + o.c1off) % {coops} END AS coop_id,
                 1 + floor(random() * 3)::int AS nlines
          FROM bench_orders o CROSS JOIN LATERAL generate_series(1, o.nship) k""")
    x(f"""CREATE UNLOGGED TABLE bench_line AS
          SELECT (row_number() OVER (ORDER BY s.id, j))::int AS id, s.id AS shipment_id, s.order_id, s.coop_id,
                 (s.coop_id - 1) * 10 + 1 + floor(random() * 10)::int AS variant_id,
                 1 + floor(random() * 4)::int AS quantity,
                 1 + floor(random() * least(3, {per}))::int AS nh, floor(random() * {per})::int AS r
          FROM bench_ship s CROSS JOIN LATERAL generate_series(1, s.nlines) j""")
    got = x("SELECT count(*) FROM bench_line").fetchone()[0]
    if got < p["lines"]:
        sys.exit(f"generated only {got} lines")
    x(f"DELETE FROM bench_line WHERE id > {p['lines']}")
    x("DELETE FROM bench_ship WHERE id > (SELECT max(shipment_id) FROM bench_line)")
    x("DELETE FROM bench_orders WHERE id > (SELECT max(order_id) FROM bench_line)")
    x("ANALYZE bench_orders; ANALYZE bench_ship; ANALYZE bench_line")
    x("""INSERT INTO order_lines (id, order_id, shipment_id, variant_id, product_slug, product_name_zh,
             product_name_en, variant_name_zh, variant_name_en, sku, unit_price_fen, quantity, gross_fen,
             commission_fen, retention_fen, household_pool_fen)
         SELECT l.id, l.order_id, l.shipment_id, l.variant_id, p.slug, p.name_zh, p.name_en, v.name_zh, v.name_en,
                v.sku, v.price_fen, l.quantity, g.g, f.f, k.k, g.g - f.f - k.k
         FROM bench_line l JOIN variants v ON v.id = l.variant_id JOIN products p ON p.id = v.product_id
         JOIN cooperatives c ON c.id = l.coop_id
         CROSS JOIN LATERAL (SELECT v.price_fen * l.quantity AS g) g
         CROSS JOIN LATERAL (SELECT (g.g::bigint * c.commission_bp + 5000) / 10000 AS f) f
         CROSS JOIN LATERAL (SELECT ((g.g - f.f)::bigint * c.retention_bp + 5000) / 10000 AS k) k
         ORDER BY l.id""")
    x("ANALYZE order_lines")
    # Each line's pool H split over its 1-3 households by largest remainder, ties to the lower id (the
    # weights are units supplied): the rule of shop.money.split_line.
    x(f"""INSERT INTO line_shares (line_id, household_id, amount_fen)
          WITH s AS (SELECT l.id AS line_id, ol.household_pool_fen::bigint AS pool,
                            (l.coop_id - 1) * {per} + 1 + (l.r + j * {max(1, per // 3)}) % {per} AS household_id,
                            1 + floor(random() * 100)::int AS w
                     FROM bench_line l JOIN order_lines ol ON ol.id = l.id
                     CROSS JOIN LATERAL generate_series(0, l.nh - 1) j),
               x AS (SELECT *, sum(w) OVER (PARTITION BY line_id) AS wt FROM s),
               y AS (SELECT *, pool * w / wt AS base, pool * w % wt AS rem FROM x),
               z AS (SELECT *, pool - sum(base) OVER (PARTITION BY line_id) AS leftover,
                            row_number() OVER (PARTITION BY line_id ORDER BY rem DESC, household_id) AS rk FROM y)
          SELECT line_id, household_id, base + CASE WHEN rk <= leftover THEN 1 ELSE 0 END
          FROM z ORDER BY line_id, household_id""")
    x("ANALYZE line_shares")


def _step_orders(cur, p: dict) -> None:
    """Shipments, orders and payments. An order is paid minutes after it is placed (1 % are cancelled);
    a shipment leaves 0.5-3 days later, is delivered 2-6 days after that, and is settled by the daily run
    7 days (REFUND_WINDOW_DAYS) after delivery. Whatever would come after `now` has not happened yet."""
    x = cur.execute
    now = p["now"]
    x("""CREATE UNLOGGED TABLE bench_ship2 AS
         SELECT s.id, s.order_id, s.coop_id, o.cancelled, sub.subtotal,
                CASE WHEN c.free_shipping_over_fen IS NOT NULL AND sub.subtotal >= c.free_shipping_over_fen
                     THEN 0 ELSE c.shipping_fee_fen END AS fee,
                tt.shipped, tt.delivered, tt.settled
         FROM bench_ship s JOIN bench_orders o ON o.id = s.order_id JOIN cooperatives c ON c.id = s.coop_id
         JOIN (SELECT shipment_id, sum(gross_fen) AS subtotal FROM order_lines GROUP BY shipment_id) sub
           ON sub.shipment_id = s.id
         CROSS JOIN LATERAL (SELECT o.placed_at + o.pay_delay + INTERVAL '12 hours'
                                    + random() * INTERVAL '60 hours' AS shipped) t1
         CROSS JOIN LATERAL (SELECT t1.shipped + INTERVAL '2 days' + random() * INTERVAL '4 days' AS delivered) t2
         CROSS JOIN LATERAL (SELECT t1.shipped, t2.delivered, t2.delivered + INTERVAL '7 days'
                                    + random() * INTERVAL '20 hours' AS settled) tt""")
    x("ANALYZE bench_ship2")
    x(f"""INSERT INTO shipments (id, order_id, coop_id, status, coop_name_zh, coop_name_en, commission_bp,
             retention_bp, subtotal_fen, shipping_fee_fen, carrier, tracking_no, shipped_at, delivered_at, settled_at)
          SELECT s.id, s.order_id, s.coop_id, st.status, c.name_zh, c.name_en, c.commission_bp, c.retention_bp,
                 s.subtotal, s.fee, CASE WHEN st.shipped THEN '中国邮政' ELSE '' END,
                 CASE WHEN st.shipped THEN 'EMS' || lpad(s.id::text, 10, '0') ELSE '' END,
                 CASE WHEN st.shipped THEN s.shipped END,
                 CASE WHEN st.status IN ('delivered', 'settled') THEN s.delivered END,
                 CASE WHEN st.status = 'settled' THEN s.settled END
          FROM bench_ship2 s JOIN cooperatives c ON c.id = s.coop_id
          CROSS JOIN LATERAL (SELECT CASE WHEN s.cancelled THEN 'cancelled'
                                          WHEN s.shipped > TIMESTAMP '{now}' THEN 'awaiting_fulfilment'
                                          WHEN s.delivered > TIMESTAMP '{now}' THEN 'shipped'
                                          WHEN s.settled > TIMESTAMP '{now}' THEN 'delivered'
                                          ELSE 'settled' END AS status) st0
          CROSS JOIN LATERAL (SELECT st0.status, st0.status IN ('shipped', 'delivered', 'settled') AS shipped) st
          ORDER BY s.id""")
    x("ANALYZE shipments")
    x(f"""INSERT INTO orders (id, number, buyer_id, checkout_token, status, currency, subtotal_fen, shipping_fen,
             total_fen, recipient, mobile, province, city, district, street, locale, payment_provider, placed_at,
             expires_at, paid_at, cancelled_at, cancel_reason)
          SELECT o.id, 'LN' || to_char(o.placed_at, 'YYMMDD') || lpad(o.id::text, 9, '0'), 1 + o.id % {p['buyers']},
                 'bench-checkout-' || o.id,
                 CASE WHEN o.cancelled THEN 'cancelled' WHEN s.open = 0 THEN 'completed' ELSE 'paid' END, 'CNY',
                 s.subtotal, s.shipping, s.subtotal + s.shipping, '收件人', '139' || lpad((o.id % 100000000)::text, 8, '0'),
                 '北京市', '北京市', '朝阳区', '建国路 ' || o.id || ' 号', 'zh', 'stripe', o.placed_at,
                 o.placed_at + INTERVAL '35 minutes', CASE WHEN NOT o.cancelled THEN o.placed_at + o.pay_delay END,
                 CASE WHEN o.cancelled THEN o.placed_at + INTERVAL '35 minutes' END,
                 CASE WHEN o.cancelled THEN 'expired' ELSE '' END
          FROM bench_orders o JOIN (
              SELECT s.order_id, sum(s.subtotal) AS subtotal, sum(s.fee) AS shipping,
                     count(*) FILTER (WHERE sh.status NOT IN ('delivered', 'settled')) AS open
              FROM bench_ship2 s JOIN shipments sh ON sh.id = s.id GROUP BY s.order_id) s ON s.order_id = o.id
          ORDER BY o.id""")
    x("ANALYZE orders")
    x("""INSERT INTO payments (id, order_id, provider, provider_ref, amount_fen, currency, status, created_at)
         SELECT id, id, 'stripe', 'pi_bench_' || id, total_fen, 'CNY', 'succeeded', paid_at
         FROM orders WHERE paid_at IS NOT NULL ORDER BY id""")
    x("DROP TABLE bench_orders, bench_ship, bench_line, bench_ship2")


def _step_refunds(cur, p: dict) -> None:
    """Refund one paid order in 200 as staff would: one line in full, one unit of a line (twice, a day apart,
    when it has 3 units or more), or the whole order with its shipping; one refund in ten fails. Each line's
    reversal is split over what is left of its parts (shop.money.reverse_parts), from the payable accounts when
    the shipment had settled. Writes the refunds with their allocation, and their postings to bench_refund_post."""
    x = cur.execute
    now = p["now"]
    rng = random.Random(42)
    paid = x("SELECT count(*) FROM orders WHERE paid_at IS NOT NULL").fetchone()[0]
    order_ids = [oid for (oid,) in x(f"""SELECT id FROM orders WHERE paid_at IS NOT NULL
                                         AND paid_at < TIMESTAMP '{now}' - INTERVAL '2 days'
                                         ORDER BY random() LIMIT {max(3, paid // 200)}""")]
    x("""CREATE UNLOGGED TABLE bench_refund_post (refund_id int, posted_at timestamp, order_id int, account text,
             coop_id int, household_id int, shipment_id int, line_id int, amount_fen bigint)""")
    if not order_ids:
        return
    ids = ",".join(map(str, order_ids))
    orders = {oid: (paid_at, total) for oid, paid_at, total in x(
        f"SELECT id, paid_at, total_fen FROM orders WHERE id IN ({ids})")}
    ships = {sid: (coop, fee, settled) for sid, coop, fee, settled in x(
        f"SELECT id, coop_id, shipping_fee_fen, settled_at FROM shipments WHERE order_id IN ({ids})")}
    lines = defaultdict(list)
    left = {}
    for lid, oid, sid, qty, price, gross, f, k in x(
            f"""SELECT id, order_id, shipment_id, quantity, unit_price_fen, gross_fen, commission_fen, retention_fen
                FROM order_lines WHERE order_id IN ({ids}) ORDER BY id"""):
        lines[oid].append((lid, sid, qty, price, gross))
        left[lid] = {("F", None): f, ("K", None): k}
    for lid, hh, fen in x(f"""SELECT ls.line_id, ls.household_id, ls.amount_fen FROM line_shares ls
                              JOIN order_lines l ON l.id = ls.line_id WHERE l.order_id IN ({ids})"""):
        left[lid][("H", hh)] = fen
    shipment_of = {ln[0]: ln[1] for lns in lines.values() for ln in lns}
    planned = []  # (time, order, [(line, units, fen)], [(shipment, fen)], status)
    for oid in sorted(order_ids):
        paid_at, _total = orders[oid]
        span = (now - timedelta(hours=1) - paid_at).total_seconds()
        at = paid_at + timedelta(seconds=rng.uniform(3600, min(span, 20 * 86400)))
        status = "failed" if rng.random() < 0.1 else "succeeded"
        mode = rng.random()
        lid, _sid, qty, price, gross = lines[oid][0]
        if mode < 0.1:
            planned.append((at, oid, [(ln[0], ln[2], ln[4]) for ln in lines[oid]],
                            [(s, ships[s][1]) for s in sorted({ln[1] for ln in lines[oid]}) if ships[s][1]], status))
        elif mode < 0.4 and qty >= 2:
            planned.append((at, oid, [(lid, 1, price)], [], status))
            if qty >= 3 and mode < 0.25:
                planned.append((at + timedelta(days=1), oid, [(lid, 1, price)], [], "succeeded"))
        else:
            planned.append((at, oid, [(lid, qty, gross)], [], status))
    planned = sorted((r for r in planned if r[0] < now), key=lambda r: (r[0], r[1]))
    room = {ln[0]: ln[4] for lns in lines.values() for ln in lns}
    refunded = defaultdict(int)
    refunds, refund_lines, refund_shipping, posts = [], [], [], []
    for rid, (at, oid, take_lines, take_ships, status) in enumerate(planned, 1):
        take_lines = [(lid, q, min(fen, room[lid])) for lid, q, fen in take_lines if min(fen, room[lid]) > 0]
        if not take_lines and not take_ships:
            continue
        amount = sum(fen for *_l, fen in take_lines) + sum(fen for _s, fen in take_ships)
        done = status == "succeeded"
        refunds.append((rid, oid, oid, "stripe", f"bench-refund-{rid}", f"re_bench_{rid}" if done else None, amount,
                        "CNY", status, False, "买家申请退款", None, None, at - timedelta(minutes=5), at if done else None))
        refund_lines += [(rid, lid, q, fen) for lid, q, fen in take_lines]
        refund_shipping += [(rid, sid, fen) for sid, fen in take_ships]
        if not done:
            continue
        refunded[oid] += amount
        posts.append((rid, at, oid, "cash", None, None, None, None, -amount))
        for lid, _q, fen in take_lines:
            room[lid] -= fen
            sid = shipment_of[lid]
            coop, _fee, settled = ships[sid]
            state = "payable" if settled is not None and settled <= at else "pending"
            parts = sorted(left[lid].items(), key=lambda part: ({"F": 0, "K": 1, "H": 2}[part[0][0]], part[0][1] or 0))
            for (part, hh), back in reverse_parts(fen, parts):
                left[lid][(part, hh)] -= back
                if back:
                    account = {"F": "commission", "K": f"retention_{state}", "H": f"household_{state}"}[part]
                    posts.append((rid, at, oid, account, coop, hh, sid, lid, back))
        for sid, fen in take_ships:
            coop, _fee, settled = ships[sid]
            state = "payable" if settled is not None and settled <= at else "pending"
            posts.append((rid, at, oid, f"shipping_{state}", coop, None, sid, None, fen))
    for table, columns, rows in (
            ("refunds", "id, order_id, payment_id, provider, idempotency_key, provider_ref, amount_fen, currency, "
                        "status, restock, reason, flag_id, created_by_id, created_at, settled_at", refunds),
            ("refund_lines", "refund_id, line_id, quantity, amount_fen", refund_lines),
            ("refund_shipping", "refund_id, shipment_id, amount_fen", refund_shipping),
            ("bench_refund_post", "refund_id, posted_at, order_id, account, coop_id, household_id, shipment_id, "
                                  "line_id, amount_fen", posts)):
        with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    cur.executemany("UPDATE orders SET status = %s WHERE id = %s",
                    [("refunded" if fen == orders[oid][1] else "partially_refunded", oid)
                     for oid, fen in refunded.items()])


def _step_transactions(cur, p: dict) -> None:
    """Monthly payout runs with one candidate payout per cooperative (amounts come with the postings; a
    candidate that is owed too little is dropped then), and every ledger transaction, numbered in time order
    as the services would have written them; a payout goes first when it shares its moment with another
    event, since it covers what was posted before it."""
    x = cur.execute
    coops = p["coops"]
    x("INSERT INTO payout_runs (id, created_at, created_by_id) VALUES "
      + ", ".join(f"({k}, '{at}', NULL)" for k, at in enumerate(p["payout_at"], 1)))
    x(f"""INSERT INTO payouts (id, run_id, coop_id, amount_fen, method, status, attempt, payee_name, bank_name,
             bank_account_no, stripe_account_id, reference, failure_reason, created_at, paid_at, failed_at)
          SELECT (r.id - 1) * {coops} + c.id, r.id, c.id, 1, 'bank',
                 CASE WHEN r.id < {MONTHS} THEN 'paid' WHEN c.id % 10 = 0 THEN 'failed' ELSE 'pending' END, 1,
                 c.bank_account_name, c.bank_name, c.bank_account_no, '',
                 CASE WHEN r.id < {MONTHS} THEN 'ABC' || lpad(((r.id - 1) * {coops} + c.id)::text, 10, '0') ELSE '' END,
                 CASE WHEN r.id = {MONTHS} AND c.id % 10 = 0 THEN '户名与账号不符' ELSE '' END, r.created_at,
                 CASE WHEN r.id < {MONTHS} THEN r.created_at + INTERVAL '1 day' END,
                 CASE WHEN r.id = {MONTHS} AND c.id % 10 = 0 THEN r.created_at + INTERVAL '1 day' END
          FROM payout_runs r CROSS JOIN cooperatives c""")
    x("""INSERT INTO ledger_transactions (id, key, kind, order_id, refund_id, shipment_id, payout_id, posted_at)
         SELECT row_number() OVER (ORDER BY posted_at, rnk, key), key, kind, order_id, refund_id, shipment_id,
                payout_id, posted_at
         FROM (SELECT 'payment:order:' || id AS key, 'payment' AS kind, id AS order_id, NULL::int AS refund_id,
                      NULL::int AS shipment_id, NULL::int AS payout_id, paid_at AS posted_at, 1 AS rnk
               FROM orders WHERE paid_at IS NOT NULL
               UNION ALL SELECT 'refund:' || id, 'refund', order_id, id, NULL, NULL, settled_at, 1
               FROM refunds WHERE status = 'succeeded'
               UNION ALL SELECT 'settle:shipment:' || id, 'settlement', order_id, NULL, id, NULL, settled_at, 1
               FROM shipments WHERE status = 'settled'
               UNION ALL SELECT 'payout:' || id, 'payout', NULL, NULL, NULL, id, created_at, 0 FROM payouts
               UNION ALL SELECT 'payout-paid:' || id, 'payout_paid', NULL, NULL, NULL, id, paid_at, 1
               FROM payouts WHERE status = 'paid') e
         ORDER BY 1""")
    x("ANALYZE ledger_transactions; ANALYZE payouts; ANALYZE refunds; ANALYZE bench_refund_post")


def _step_payment_postings(cur, p: dict) -> None:
    """Payments as shop.ledger.services.post_payment writes them (Dr cash; Cr each line's commission and
    retention, each household's share; Cr each shipment's fee), and the refunds' postings."""
    x = cur.execute
    x("""INSERT INTO ledger_postings (txn_id, kind, posted_at, account, coop_id, household_id, order_id,
             shipment_id, line_id, amount_fen)
         SELECT t.id, 'payment', t.posted_at, 'cash', NULL::int, NULL::int, o.id, NULL::int, NULL::int,
                o.total_fen::bigint
         FROM orders o JOIN ledger_transactions t ON t.kind = 'payment' AND t.order_id = o.id
         UNION ALL
         SELECT t.id, 'payment', t.posted_at, a.account, s.coop_id, NULL, l.order_id, l.shipment_id, l.id, -a.fen
         FROM order_lines l JOIN shipments s ON s.id = l.shipment_id
         JOIN ledger_transactions t ON t.kind = 'payment' AND t.order_id = l.order_id
         CROSS JOIN LATERAL (VALUES ('commission', l.commission_fen),
                                    ('retention_pending', l.retention_fen)) a(account, fen)
         WHERE a.fen <> 0
         UNION ALL
         SELECT t.id, 'payment', t.posted_at, 'household_pending', s.coop_id, ls.household_id, l.order_id,
                l.shipment_id, l.id, -ls.amount_fen
         FROM line_shares ls JOIN order_lines l ON l.id = ls.line_id JOIN shipments s ON s.id = l.shipment_id
         JOIN ledger_transactions t ON t.kind = 'payment' AND t.order_id = l.order_id
         WHERE ls.amount_fen <> 0
         UNION ALL
         SELECT t.id, 'payment', t.posted_at, 'shipping_pending', s.coop_id, NULL, s.order_id, s.id, NULL,
                -s.shipping_fee_fen
         FROM shipments s JOIN ledger_transactions t ON t.kind = 'payment' AND t.order_id = s.order_id
         WHERE s.shipping_fee_fen <> 0""")
    x("""INSERT INTO ledger_postings (txn_id, kind, posted_at, account, coop_id, household_id, order_id,
             shipment_id, line_id, amount_fen)
         SELECT t.id, 'refund', r.posted_at, r.account, r.coop_id, r.household_id, r.order_id, r.shipment_id,
                r.line_id, r.amount_fen
         FROM bench_refund_post r JOIN ledger_transactions t ON t.kind = 'refund' AND t.refund_id = r.refund_id""")
    x("DROP TABLE bench_refund_post")
    x("ANALYZE ledger_postings")


def _step_settlements(cur, p: dict) -> None:
    """Settlement as shop.ledger.services.post_settlement writes it: what is left pending of each settled
    shipment becomes payable, line by line (per account, line and household; shipping has no line)."""
    cur.execute(f"""INSERT INTO ledger_postings (txn_id, kind, posted_at, account, coop_id, household_id, order_id,
             shipment_id, line_id, amount_fen)
         WITH left_over AS (
             SELECT shipment_id, account, line_id, household_id, sum(amount_fen) AS total
             FROM ledger_postings WHERE account IN {PENDING}
             GROUP BY shipment_id, account, line_id, household_id HAVING sum(amount_fen) <> 0)
         SELECT t.id, 'settlement', t.posted_at, a.account, s.coop_id, x.household_id, s.order_id, s.id, x.line_id,
                a.fen
         FROM left_over x JOIN shipments s ON s.id = x.shipment_id AND s.status = 'settled'
         JOIN ledger_transactions t ON t.kind = 'settlement' AND t.shipment_id = s.id
         CROSS JOIN LATERAL (VALUES (x.account, -x.total),
                                    (replace(x.account, '_pending', '_payable'), x.total)) a(account, fen)""")
    cur.execute("ANALYZE ledger_postings")


def _step_income_months(cur, p: dict) -> None:
    """The reports' roll-up as shop.ledger.rollup.roll_up_income keeps it: household_payable settlement and
    refund postings by household and Shanghai month (the load has no lots, so no units)."""
    cur.execute("""INSERT INTO household_income_months (household_id, month, income_fen, units_milli, shares)
         SELECT household_id, to_char(posted_at + interval '8 hours', 'YYYY-MM'), -sum(amount_fen), 0,
                sum(CASE WHEN kind = 'settlement' THEN 1 ELSE 0 END)
         FROM ledger_postings WHERE account = 'household_payable' AND kind IN ('settlement', 'refund')
         GROUP BY 1, 2""")


def _step_ledger_months(cur, p: dict) -> None:
    """The monthly roll-up, recomputed from the postings by the app as `flask ledger rebuild-months` does."""
    from shop.extensions import db
    from shop.ledger.rollup import rebuild_ledger_months

    cur.connection.commit()  # the postings, for the app's own connection

    class Cfg(Config):
        SQLALCHEMY_DATABASE_URI = p["url"]

    app = create_app(Cfg)
    with app.app_context():
        rebuild_ledger_months()
        db.session.commit()
        db.engine.dispose()


def _step_payouts(cur, p: dict) -> None:
    """Monthly payout runs as shop.payouts.services.run_payouts makes them: each cooperative owed at least
    the minimum is paid its payable balances (per account and household) as they stand at the run; Dr each
    balance, Cr payout_transit; then, once the bank confirms (all runs but the last), Dr payout_transit,
    Cr cash. Candidates owed too little are dropped."""
    x = cur.execute
    flows = defaultdict(lambda: defaultdict(int))  # (bucket, coop) -> {(account, household): fen}
    bounds = ", ".join(f"TIMESTAMP '{at}'" for at in p["payout_at"])
    for bucket, coop, account, hh, fen in x(
            f"""SELECT width_bucket(posted_at, ARRAY[{bounds}]), coop_id, account, household_id, sum(amount_fen)
                FROM ledger_postings WHERE account IN {PAYABLE} GROUP BY 1, 2, 3, 4"""):
        flows[(bucket, coop)][(account, hh)] += int(fen)
    txns = {(kind, pid): (tid, at) for tid, kind, pid, at in x(
        "SELECT id, kind, payout_id, posted_at FROM ledger_transactions WHERE payout_id IS NOT NULL")}
    balance = defaultdict(lambda: defaultdict(int))
    posts, amounts, dropped = [], [], []
    for pid, k, coop, status in x("SELECT id, run_id, coop_id, status FROM payouts ORDER BY run_id, coop_id").fetchall():
        for key, fen in flows.pop((k - 1, coop), {}).items():
            balance[coop][key] += fen
        owed = sorted(((acct, hh, -fen) for (acct, hh), fen in balance[coop].items() if fen),
                      key=lambda e: (e[0], e[1] or 0))
        total = sum(fen for *_k, fen in owed)
        if total < max(1, p["minimum"]):
            dropped.append(pid)
            continue
        balance[coop].clear()
        tid, at = txns[("payout", pid)]
        posts += [(tid, "payout", at, acct, coop, hh, fen) for acct, hh, fen in owed]
        posts.append((tid, "payout", at, "payout_transit", coop, None, -total))
        amounts.append((total, pid))
        if status == "paid":
            tid, at = txns[("payout_paid", pid)]
            posts += [(tid, "payout_paid", at, "payout_transit", coop, None, total),
                      (tid, "payout_paid", at, "cash", None, None, -total)]
    with cur.copy("COPY ledger_postings (txn_id, kind, posted_at, account, coop_id, household_id, amount_fen) "
                  "FROM STDIN") as copy:
        for row in posts:
            copy.write_row(row)
    cur.executemany("UPDATE payouts SET amount_fen = %s WHERE id = %s", amounts)
    if dropped:
        x("DELETE FROM ledger_transactions WHERE payout_id = ANY(%s)", (dropped,))
        x("DELETE FROM payouts WHERE id = ANY(%s)", (dropped,))
    for table in LOADED:
        x(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 0) + 1, false) FROM {table}")


def _step_encrypt(cur, p: dict) -> None:
    """The shop keeps registry codes, phones and bank accounts encrypted (shop/crypto.py): encrypt what the
    SQL above wrote in plain, under the key the benchmark's app runs with, and fill the blind index."""
    key = derive(Config.DATA_KEY)
    codes = cur.execute("SELECT id, registry_code FROM households").fetchall()
    cur.executemany("UPDATE households SET registry_code_index = %s WHERE id = %s",
                    [(blind_index(code, key), i) for i, code in codes])
    for table, column in (("households", "registry_code"), ("households", "phone"),
                          ("cooperatives", "bank_account_no"), ("payouts", "bank_account_no")):
        rows = cur.execute(f"SELECT id, {column} FROM {table} WHERE {column} <> ''").fetchall()
        cur.executemany(f"UPDATE {table} SET {column} = %s WHERE id = %s",
                        [(encrypt(value, f"{table}.{column}", key), i) for i, value in rows])


def _step_keys(cur, p: dict, deadline: float) -> bool:
    """Put back the indexes, unique constraints and foreign keys (validated), one committed statement at a
    time; False when the deadline came first."""
    for n, ddl in cur.execute("SELECT n, ddl FROM bench_restore WHERE NOT done ORDER BY n").fetchall():
        if time.perf_counter() > deadline:
            return False
        cur.execute(ddl)
        cur.execute("UPDATE bench_restore SET done = true WHERE n = %s", (n,))
        cur.connection.commit()
    return True


def load(url: str, budget: float, fresh: dict | None = None) -> bool:
    """Load (fresh: the sizes to load into an empty, migrated database) or go on loading, step by step; stop
    starting steps once `budget` seconds have passed. Return True when the load is complete."""
    deadline = time.perf_counter() + budget
    with psycopg.connect(pg_dsn(url)) as conn, conn.cursor() as cur:
        x = cur.execute
        x("SET work_mem = '1GB'")  # the sorts and hashes of the load stay in memory (the machine has 24 GB)
        x("SET maintenance_work_mem = '2GB'")
        x("SET synchronous_commit = off")
        if fresh:
            x("CREATE TABLE bench_load (step text PRIMARY KEY, seconds real)")
            x("CREATE TABLE bench_params (key text PRIMARY KEY, value text)")
            now = datetime.utcnow().replace(minute=0, second=0, microsecond=0)
            fresh = fresh | {"now": now.isoformat(sep=" ")}
            cur.executemany("INSERT INTO bench_params VALUES (%s, %s)", [(k, str(v)) for k, v in fresh.items()])
            conn.commit()
        elif x("SELECT to_regclass('bench_load')").fetchone()[0] is None:
            return True  # loaded already
        p = {k: int(v) if k != "now" else datetime.fromisoformat(v) for k, v in x("SELECT key, value FROM bench_params")}
        p["per"] = p["households"] // p["coops"]
        p["url"] = url
        p["buyers"] = max(1000, p["lines"] // 100)
        p["start"] = p["now"] - timedelta(days=365)
        p["payout_at"] = [p["start"] + timedelta(days=30 * k, hours=2) for k in range(1, MONTHS + 1)]
        done = {step for (step,) in x("SELECT step FROM bench_load")}
        for step in STEPS:
            if step in done:
                continue
            if time.perf_counter() > deadline:
                print(f"  the budget is spent: run again with --resume to go on from step '{step}'")
                return False
            t = time.perf_counter()
            x("SELECT setseed(%s)", (STEPS.index(step) / 100,))  # the same data on every run
            if step == "keys":
                count = x("SELECT count(*) FROM bench_restore WHERE NOT done").fetchone()[0]
                if not _step_keys(cur, p, deadline):
                    print("  the budget is spent: run again with --resume to go on rebuilding keys")
                    return False
                step_note = f"{count} indexes, unique and foreign keys rebuilt (foreign keys validated)"
            elif step == "vacuum":
                conn.commit()
                conn.autocommit = True
                x("VACUUM (ANALYZE)")  # what autovacuum does to an append-only table: statistics, visibility map
                x("DROP TABLE bench_load, bench_params, bench_restore")
                log("VACUUM ANALYZE", t)
                return True
            else:
                globals()[f"_step_{step}"](cur, p)
                step_note = (_STEP_NOTES.get(step) or step).format(**p)
            x("INSERT INTO bench_load VALUES (%s, %s)", (step, time.perf_counter() - t))
            conn.commit()
            log(step_note, t)
    return True


_STEP_NOTES = {
    "lines": "cooperatives, households, catalogue, {lines:,} order lines and their household shares",
    "orders": "shipments, orders, payments",
    "refunds": "refunds",
    "transactions": "payout candidates and ledger transactions",
    "payment_postings": "payment and refund postings",
    "settlements": "settlement postings",
    "payouts": "payout postings",
    "encrypt": "registry codes, phones and bank accounts encrypted",
}


def table_sizes(url: str) -> dict:
    with psycopg.connect(pg_dsn(url)) as conn:
        out = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in (
            "households", "orders", "shipments", "order_lines", "line_shares", "refunds", "payouts",
            "ledger_transactions", "ledger_postings")}
        out["database"] = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]
    return out


# ---------------------------------------------------------------------------------------------- timing

def median_times(fns: dict, runs: int, warm: bool = True) -> dict[str, float]:
    """Median time of each function over `runs` rounds; the functions take turns within a round, so that a
    change in the machine's load touches them alike."""
    if warm:
        for fn in fns.values():
            fn()
    times = {name: [] for name in fns}
    for _ in range(runs):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(ts) for name, ts in times.items()}


_ACCOUNTS = str(ACCOUNTS)
EARNINGS_SQL = (
    # What the page shows, as bare SQL: the cooperative's postings summed by account, kind, household and
    # month (the period, its months, the balances and the households), and its sales by product.
    """SELECT account, kind, household_id, to_char(posted_at + INTERVAL '8 hours', 'YYYY-MM'), sum(amount_fen)
       FROM ledger_postings WHERE coop_id = %(c)s GROUP BY 1, 2, 3, 4""",
    f"""SELECT l.product_slug, max(l.product_name_zh), max(l.product_name_en), p.kind, p.account, sum(p.amount_fen),
              sum(CASE WHEN p.kind = 'payment' AND p.line_id IS NOT NULL AND p.id = (SELECT min(q.id)
                       FROM ledger_postings q WHERE q.txn_id = p.txn_id AND q.line_id = p.line_id)
                       THEN l.quantity ELSE 0 END)
       FROM ledger_postings p JOIN order_lines l ON l.id = p.line_id
       WHERE p.coop_id = %(c)s AND p.account IN {_ACCOUNTS} AND p.kind IN ('payment', 'refund')
         AND l.shipment_id IN (SELECT id FROM shipments WHERE coop_id = %(c)s) GROUP BY 1, 4, 5""",
)
# What the page reads now: the cooperative's rows of the monthly roll-up (shop/ledger/rollup.py).
EARNINGS_ROLLUP_SQL = ("""SELECT account, kind, household_id, product_slug, month, amount_fen, units
                          FROM ledger_months WHERE coop_id = %(c)s""",)
EARNINGS_ONE_SQL = "SELECT kind, account, sum(amount_fen) FROM ledger_postings WHERE coop_id = %(c)s GROUP BY 1, 2"

# The aggregates `ledger check` computes, each run bare (the database computes it; only a count comes back).
_PARTS = "('commission', 'retention_pending', 'retention_payable', 'household_pending', 'household_payable')"
CHECK_SQL = (
    "SELECT txn_id, sum(amount_fen) FROM ledger_postings GROUP BY txn_id",
    "SELECT order_id, count(*) FROM ledger_transactions WHERE kind = 'payment' GROUP BY order_id",
    "SELECT order_id, sum(amount_fen) FROM ledger_postings WHERE kind = 'payment' AND account = 'cash' GROUP BY 1",
    f"""SELECT line_id, household_id, sum(amount_fen) FROM ledger_postings
        WHERE kind = 'payment' AND line_id IS NOT NULL AND account IN {_PARTS} GROUP BY 1, 2""",
    "SELECT id, commission_fen, retention_fen, gross_fen FROM order_lines",
    "SELECT line_id, household_id, amount_fen FROM line_shares",
    f"""SELECT line_id, household_id, account, sum(amount_fen) FROM ledger_postings
        WHERE line_id IS NOT NULL AND account IN {_PARTS} GROUP BY 1, 2, 3""",
    f"SELECT line_id, sum(amount_fen) FROM ledger_postings WHERE line_id IS NOT NULL AND account IN {_PARTS} GROUP BY 1",
    """SELECT shipment_id, sum(amount_fen) FROM ledger_postings
       WHERE account IN ('shipping_pending', 'shipping_payable') AND shipment_id IS NOT NULL GROUP BY 1""",
    "SELECT shipment_id, sum(amount_fen) FROM ledger_postings WHERE account LIKE '%_pending' GROUP BY 1",
    """SELECT coop_id, txn_id, kind, sum(amount_fen) FROM ledger_postings
       WHERE account IN ('retention_payable', 'shipping_payable', 'household_payable') GROUP BY 1, 2, 3""",
    "SELECT DISTINCT shipment_id FROM ledger_transactions WHERE kind = 'settlement'",
    "SELECT sum(amount_fen) FROM ledger_postings WHERE account = 'cash'",
    # the monthly roll-up recomputed, as the check compares it
    """SELECT coalesce(p.coop_id, 0), p.account, p.kind, coalesce(p.household_id, 0),
              CASE WHEN p.kind IN ('payment', 'refund') AND p.line_id IS NOT NULL THEN l.product_slug ELSE '' END,
              to_char(p.posted_at + INTERVAL '8 hours', 'YYYY-MM'), sum(p.amount_fen),
              sum(CASE WHEN f.first_id IS NOT NULL THEN l.quantity ELSE 0 END)
       FROM ledger_postings p LEFT JOIN order_lines l ON l.id = p.line_id
            LEFT JOIN (SELECT line_id, min(id) AS first_id FROM ledger_postings
                       WHERE kind = 'payment' AND line_id IS NOT NULL GROUP BY line_id) f ON f.first_id = p.id
       GROUP BY 1, 2, 3, 4, 5, 6""",
    "SELECT * FROM ledger_months",
)


# The household report's bare aggregate: the year's household_payable settlement and refund postings summed
# by village or by household (no names, no units: less than the report shows).
REPORT_SQL = """SELECT {key}, sum(p.amount_fen) FROM ledger_postings p JOIN households h ON h.id = p.household_id
    WHERE p.account = 'household_payable' AND p.kind IN ('settlement', 'refund')
      AND p.posted_at >= %(s)s AND p.posted_at < %(e)s GROUP BY 1"""


def signed_in_client(app, **user):
    """A test client signed in as a user with these fields (created if missing), as tests/factories.py log_in does."""
    from shop.accounts.models import User
    from shop.extensions import db

    with app.app_context():
        found = db.session.scalar(db.select(User).filter_by(**user))
        if found is None:
            found = User(email=f"bench-{'-'.join(map(str, user.values()))}@bench.test", display_name="bench", **user)
            found.set_password("bench-pass-1")
            db.session.add(found)
            db.session.commit()
        session_id = found.get_id()
        db.session.remove()
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = session_id
        sess["_fresh"] = True
    return client


def report_figures(app, raw, runs: int) -> tuple[str, dict]:
    """Time the staff household report for the last year of data, grouped by village and by household (service,
    page, CLI), beside its bare aggregate, and the staff dashboard."""
    import tempfile

    from shop.extensions import db
    from shop.reports.dashboard import build_dashboard
    from shop.reports.income import IncomeFilter, build_income_report

    last = raw.execute("SELECT max(posted_at) FROM ledger_postings WHERE account = 'household_payable'").fetchone()[0]
    end = (last + timedelta(hours=8)).date()  # posted_at is naive UTC; the year ends on its Shanghai day
    start = end - timedelta(days=364)
    bounds = {"s": datetime.combine(start, datetime.min.time()) - timedelta(hours=8),
              "e": datetime.combine(end + timedelta(days=1), datetime.min.time()) - timedelta(hours=8)}
    staff = signed_in_client(app, is_staff=True)
    runner = app.test_cli_runner()
    out = os.path.join(tempfile.mkdtemp(), "households.csv")
    query = f"start={start:%Y-%m-%d}&end={end:%Y-%m-%d}"

    def service(group):
        def run():
            with app.app_context():
                build_income_report(IncomeFilter(start, end), group)
                db.session.remove()
        return run

    def page(path):
        def run():
            response = staff.get(path)
            assert response.status_code == 200, response.status_code
        return run

    def cli():
        result = runner.invoke(args=["reports", "households", "--from", f"{start:%Y-%m-%d}", "--to",
                                     f"{end:%Y-%m-%d}", "--output", out])
        assert result.exit_code == 0, result.output

    def dashboard():
        with app.app_context():
            build_dashboard()
            db.session.remove()

    def bare(key):
        return lambda: raw.execute(REPORT_SQL.format(key=key), bounds).fetchall()

    figures = median_times({
        "agg_village": bare("h.village_id"), "report_village": service("village"),
        "page_village": page(f"/staff/reports?{query}&group=village"),
        "agg_household": bare("p.household_id"), "report_household": service("household"),
        "page_household": page(f"/staff/reports?{query}&group=household"), "cli": cli,
        "dashboard": dashboard, "dashboard_page": page("/staff"),
    }, runs)
    return f"{start} to {end}", figures


def bench(url: str, runs: int, check_runs: int, sizes: dict, only: set[str]) -> None:
    class Cfg(Config):
        SQLALCHEMY_DATABASE_URI = url
        RATELIMIT_ENABLED = False

    app = create_app(Cfg)
    from shop.extensions import db
    from shop.ledger.check import check_ledger
    from shop.reports.earnings import build_earnings_report

    raw = psycopg.connect(pg_dsn(url), autocommit=True)
    figures = {}
    ms = lambda s: f"{s * 1000:9.1f} ms"  # noqa: E731

    def run_raw(queries, params=None, count=False):
        for q in queries:
            if count:
                raw.execute(f"SELECT count(s.*) FROM ({q}) s").fetchone()  # s.* keeps every aggregate computed
            else:
                raw.execute(q, params).fetchall()

    with app.app_context():
        upgrade()

    def machine() -> str:
        """How fast the machine is right now: PostgreSQL summing 5,000,000 integers, and the load average."""
        took = median_times({"sum": lambda: raw.execute("SELECT sum(i) FROM generate_series(1, 5000000) i")}, 3)
        return f"sum of 5,000,000 integers in {took['sum'] * 1000:.0f} ms, load average {os.getloadavg()[0]:.1f}"

    print(f"machine: {os.cpu_count()} cores; {machine()}", flush=True)
    if "check" in only:
        def check():
            with app.app_context():
                assert check_ledger() == []
                db.session.remove()

        with app.app_context():
            t = time.perf_counter()
            try:
                problems = check_ledger()
            except Exception as error:  # noqa: BLE001 - reported, and the check is not timed
                problems = None
                print(f"check_ledger() failed after {time.perf_counter() - t:.1f} s: {str(error).splitlines()[0]}")
            else:
                print(f"check_ledger(): {len(problems)} violations (first run {time.perf_counter() - t:.2f} s)",
                      flush=True)
                for p in problems[:10]:
                    print("   ", p)
            db.session.remove()
        if problems == []:  # warmed by the first run
            figures |= median_times({"agg_check": lambda: run_raw(CHECK_SQL, count=True), "check": check},
                                    check_runs, warm=False)
        else:
            figures |= median_times({"agg_check": lambda: run_raw(CHECK_SQL, count=True)}, check_runs, warm=False)
            figures["check"] = math.nan
    if "earnings" in only:
        with app.app_context():
            # A typical cooperative: the median by number of postings.
            by_size = db.session.execute(db.text("SELECT coop_id, count(*) FROM ledger_postings "
                                                 "WHERE coop_id IS NOT NULL GROUP BY coop_id ORDER BY 2, 1")).all()
            coop_id, coop_postings = by_size[len(by_size) // 2]
            db.session.remove()
        client = signed_in_client(app, coop_id=coop_id)

        def report():
            with app.app_context():
                build_earnings_report(coop_id)
                db.session.remove()

        def page():
            response = client.get("/coop/earnings")
            assert response.status_code == 200, response.status_code

        print(f"typical cooperative: {coop_id} ({coop_postings:,} of {sizes.get('ledger_postings', 0):,} postings)",
              flush=True)
        figures |= median_times({"agg_one": lambda: run_raw([EARNINGS_ONE_SQL], {"c": coop_id}),
                                 "agg_page": lambda: run_raw(EARNINGS_SQL, {"c": coop_id}),
                                 "agg_rollup": lambda: run_raw(EARNINGS_ROLLUP_SQL, {"c": coop_id}),
                                 "report": report, "page": page}, runs)
    if "reports" in only:
        period, report = report_figures(app, raw, runs)
        figures |= report
    print(f"machine afterwards: {machine()}")
    raw.close()
    with app.app_context():
        db.engine.dispose()

    print()
    print(f"{'(medians of warm runs)':<58}{'time':>12}{'ratio':>8}")
    if "earnings" in only:
        agg = figures["agg_page"]
        print(f"earnings of cooperative {coop_id}, whole history")
        print(f"{'  bare SQL: its postings aggregated (2 queries, raw connection)':<58}{ms(agg)}{1:>8.2f}")
        print(f"{'  bare SQL: its monthly roll-up rows (raw connection)':<58}{ms(figures['agg_rollup'])}"
              f"{figures['agg_rollup'] / agg:>8.2f}")
        print(f"{'  build_earnings_report()':<58}{ms(figures['report'])}{figures['report'] / agg:>8.2f}")
        print(f"{'  GET /coop/earnings (signed-in test client)':<58}{ms(figures['page'])}{figures['page'] / agg:>8.2f}")
        print(f"{'  bare GROUP BY kind, account (too little for the page)':<58}{ms(figures['agg_one'])}"
              f"{figures['page'] / figures['agg_one']:>8.2f} (page / it)")
    if "reports" in only:
        for group in ("village", "household"):
            agg = figures[f"agg_{group}"]
            print(f"staff household income report by {group}, {period}")
            print(f"{'  bare SQL: sum of the year by ' + group + ' (raw connection)':<58}{ms(agg)}{1:>8.2f}")
            print(f"{'  build_income_report()':<58}{ms(figures['report_' + group])}"
                  f"{figures['report_' + group] / agg:>8.2f}")
            print(f"{'  GET /staff/reports (signed-in test client)':<58}{ms(figures['page_' + group])}"
                  f"{figures['page_' + group] / agg:>8.2f}")
            if group == "household":
                print(f"{'  flask reports households (CSV of every household)':<58}{ms(figures['cli'])}"
                      f"{figures['cli'] / agg:>8.2f}")
        print("staff dashboard")
        print(f"{'  build_dashboard()':<58}{ms(figures['dashboard'])}")
        print(f"{'  GET /staff (signed-in test client)':<58}{ms(figures['dashboard_page'])}")
    if "check" in only:
        agg = figures["agg_check"]
        print("ledger check, whole database")
        print(f"{'  bare aggregates it needs (' + str(len(CHECK_SQL)) + ' queries)':<58}{ms(agg)}{1:>8.2f}")
        print(f"{'  check_ledger()':<58}{ms(figures['check'])}{figures['check'] / agg:>8.2f}")
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=int(os.environ.get("BENCH_LINES", 1_000_000)))
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--coops", type=int, default=100)
    parser.add_argument("--runs", type=int, default=9, help="timed runs of the earnings figures (medians are printed)")
    parser.add_argument("--check-runs", type=int, default=3, help="timed runs of the check figures")
    parser.add_argument("--keep", action="store_true", help="leave the database in place afterwards")
    parser.add_argument("--load-only", action="store_true", help="load, keep the database and time nothing")
    parser.add_argument("--resume", action="store_true",
                        help="use the database of an earlier --keep/--load-only run: finish its load, then time it")
    parser.add_argument("--only", choices=("earnings", "check", "reports"),
                        help="time only the earnings page, the check or the staff reports and dashboard")
    parser.add_argument("--budget", type=float, default=float(os.environ.get("BENCH_BUDGET", "inf")),
                        help="start no load step after this many seconds (go on later with --resume)")
    args = parser.parse_args()
    if args.households < args.coops or args.households % args.coops:
        sys.exit("--households must be a multiple of --coops")
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    bench_database(url)
    fresh = None
    t = time.perf_counter()
    if not args.resume:
        print(f"loading {args.lines:,} order lines, {args.households:,} households, {args.coops} cooperatives "
              f"into {make_url(url).render_as_string()}", flush=True)
        create_database(url)

        class Cfg(Config):
            SQLALCHEMY_DATABASE_URI = url
            RATELIMIT_ENABLED = False

        app = create_app(Cfg)
        with app.app_context():
            upgrade()
            app.extensions["sqlalchemy"].engine.dispose()
        fresh = {"lines": args.lines, "households": args.households, "coops": args.coops,
                 "minimum": app.config["PAYOUT_MINIMUM_FEN"]}
    if not load(url, args.budget, fresh):
        print(f"load paused after {time.perf_counter() - t:.0f} s; the database is kept")
        return
    sizes = table_sizes(url)
    print(f"loaded ({time.perf_counter() - t:.0f} s this run): "
          + ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in sizes.items()), flush=True)
    if args.load_only:
        return
    try:
        bench(url, args.runs, args.check_runs, sizes, {args.only} if args.only else {"earnings", "check", "reports"})
    finally:
        if not args.keep:
            drop_database(url)


if __name__ == "__main__":
    main()
