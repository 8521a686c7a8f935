"""Benchmark: proactive matching (免申即享) of N synthetic companies against the seeded items.

    .venv/bin/python bench/match_policies.py [N] [--baseline-n M]
    scripts/with-postgres .venv/bin/python bench/match_policies.py 100000

Uses a fresh throw-away database: a temporary SQLite file, or the PostgreSQL database in DATABASE_URL (whose
tables it creates with migrate). It seeds the catalogue, creates N companies with a realistic spread of registry
facts (districts, paid-in capital in 10,000-yuan steps, park membership, a few banned), then measures:
- this project's matcher (`fast_match`: grouped by distinct fact tuples, rules as closures);
- the straightforward loop (`reference_match`: each compiled rule-engine rule on each company), on M companies
  (default all N);
- the whole `match_policies` run for the round (load, match, write invitations), then a second run (all skipped);
and checks that both matchers give identical results on the companies both saw, and that the invitations written
(company, item, estimated amount) are exactly the fast matcher's results.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

from _common import setup_django  # bench/ is on sys.path: it is this script's folder


def create_companies(n: int, seed: int = 2026) -> None:
    from companies.models import Company
    from companies.uscc import make_code

    rnd = random.Random(seed)
    districts = ["江津区"] * 6 + ["渝中区", "九龙坡区", "永川区", "北京市朝阳区"]
    today = dt.date.today()
    batch = []
    for i in range(n):
        registration = rnd.choice(districts)
        tax = registration if rnd.random() < 0.9 else rnd.choice(districts)
        paid = None if rnd.random() < 0.05 else Decimal(rnd.randrange(0, 2000) * 10000)
        banned = today + dt.timedelta(days=rnd.randrange(1, 1800)) if rnd.random() < 0.01 else None
        if banned is None and rnd.random() < 0.01:
            banned = today - dt.timedelta(days=rnd.randrange(1, 400))  # ban already over
        batch.append(
            Company(
                credit_code=make_code(f"91500116{i:09d}"),
                name=f"重庆影视测试有限公司{i}",
                paid_in_capital=paid,
                registered_capital=paid,
                established_on=dt.date(2010, 1, 1) + dt.timedelta(days=rnd.randrange(0, 5800)),
                registration_district=registration,
                tax_district=tax,
                in_hq_park=rnd.random() < 0.2,
                banned_until=banned,
            )
        )
        if len(batch) == 5000:
            Company.objects.bulk_create(batch)
            batch = []
    Company.objects.bulk_create(batch)


def database_process_cpu():
    """A function giving the CPU seconds used so far by the PostgreSQL backend serving this connection (None if its
    /proc entry cannot be read, e.g. a remote server; 0.0 on SQLite, which runs inside this process). On a machine
    shared with other work, wall-clock time includes waiting for a core; CPU time shows the work itself."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return lambda: 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    ticks = os.sysconf("SC_CLK_TCK")

    def read() -> float | None:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime

    return read


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="?", type=int, default=100_000)
    parser.add_argument("--baseline-n", type=int, default=None)
    args = parser.parse_args()
    vendor = setup_django()
    started = time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i
    print(f"machine calibration: a 10M-iteration Python loop took {time.perf_counter() - started:.2f} s")

    from django.utils import timezone

    from policies.matching import Registry, fast_match, match_policies, matchable_items, reference_match
    from policies.models import Invitation, Round
    from policies.services import seed_catalogue

    seed_catalogue()
    round_ = Round.objects.get(name="2026年度")
    started = time.perf_counter()
    create_companies(args.n)
    print(f"database: {vendor}; companies: {args.n} created in {time.perf_counter() - started:.1f} s")

    on = timezone.localdate()
    items = matchable_items(round_)
    started = time.perf_counter()
    registry = Registry()
    load_seconds = time.perf_counter() - started
    rows = registry.rows()  # converted rows for the straightforward loop, outside its timing
    evaluations = len(rows) * sum(len(item.rules["criteria"]) + 1 for item in items)
    print(f"items matched: {', '.join(item.code for item in items)}; rule evaluations per full pass: {evaluations}")

    runs = []
    for _ in range(3):  # short runs suffer most from other load on the machine: the median of three
        started = time.perf_counter()
        fast = fast_match(registry, items, on)
        runs.append(time.perf_counter() - started)
    fast_seconds = sorted(runs)[1]

    sample = rows[: args.baseline_n] if args.baseline_n else rows
    started = time.perf_counter()
    reference = reference_match(sample, items, on)
    reference_seconds = time.perf_counter() - started
    sample_ids = {row[0] for row in sample}
    fast_on_sample = {key: value for key, value in fast.items() if key[0] in sample_ids}
    identical = fast_on_sample == reference

    fast_rate = evaluations / fast_seconds
    reference_rate = len(sample) * sum(len(i.rules["criteria"]) + 1 for i in items) / reference_seconds
    print(f"registry load (one query, raw values): {load_seconds:.3f} s")
    print(f"fast matcher runs: {', '.join(f'{r:.3f}' for r in runs)} s (median used)")
    print(f"fast matcher:       {fast_seconds:8.3f} s  {fast_rate:14,.0f} evaluations/s  ({len(fast)} eligible pairs)")
    print(
        f"straightforward:    {reference_seconds:8.3f} s  {reference_rate:14,.0f} evaluations/s  "
        f"({len(sample)} companies, {len(reference)} eligible pairs)"
    )
    print(f"ratio: {fast_rate / reference_rate:.1f}x; results identical: {identical}")

    backend = database_process_cpu()
    client_before, server_before = time.process_time(), backend()
    first = match_policies(round_, on=on)
    client_cpu, server_after = time.process_time() - client_before, backend()
    second = match_policies(round_, on=on)
    print(
        f"whole match_policies: {first['seconds']:.3f} s (load {first['seconds_load']:.3f}, match {first['seconds_match']:.3f}, write {first['seconds_write']:.3f}), {first['created']} invitations"
    )
    if vendor == "sqlite":
        server = "none (SQLite runs in this process)"
    elif server_before is None or server_after is None:
        server = "not measured (its /proc entry is not readable here)"
    else:
        server = f"{server_after - server_before:.3f} s"
    print(f"  its CPU time: this process {client_cpu:.3f} s, database server process {server}")
    print(f"second run (nothing new):                  {second['seconds']:.3f} s, {second['created']} invitations")
    written = {
        (company_id, code): amount
        for company_id, code, amount in Invitation.objects.filter(round=round_).values_list(
            "company_id", "item__code", "estimated_amount"
        )
    }
    written_identical = written == fast and first["created"] == len(fast)
    print(f"invitations written identical to the fast matcher's results: {written_identical}")
    if not identical or not written_identical:
        sys.exit("results differ")


if __name__ == "__main__":
    main()
