"""In-process CPU per request, per page kind, against today's figures measured in the same run.

    scripts/with-postgres .venv/bin/python bench/cpu.py [--cases 10000] [--requests 200] [--baseline REF]

The latency target of bench/load.py (p95 < 300 ms at 50 clients) is a wall-clock figure that the 2 shared
cores may not give whatever the code does; this is the figure the code controls: the CPU time the Django
process spends on one request (``time.process_time``, so waiting for PostgreSQL and other processes' load
count for little), through Django's test Client with the full middleware stack, DEBUG off.

Steps, for the baseline and then for the working tree, each in its own process and its own database:

1. migrate, seed the catalogue and 10,000 cases as bench/load.py does (its seed functions), and the
   working-day calendar of the years ``chinese-calendar`` knows;
2. per page kind: sign the page's user in, request the page 5 times to warm caches, count the queries of one
   request (CaptureQueriesContext), then time ``--requests`` requests;
3. print p50/p95 CPU ms per page kind for both trees, the ratio (working tree / baseline; below 1 is faster),
   the queries of each, and the target (p50 ≤ 10 ms).

The baseline is ``--baseline REF`` (default: the commit before the caches and the cheaper filter form of issue
18, part 3), checked out into a temporary git worktree; ``--baseline none`` measures the working tree only.
PostgreSQL by DATABASE_URL (two databases are created beside the given one); without it, SQLite files in a
temporary folder. The load average is printed with the figures: the machine has 2 cores shared with others.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Today's figures: main before the caches of issue 18, part 3.
DEFAULT_BASELINE = "d684d9c"


def load_avg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def page_kinds(item_code: str, user_case: int, staff_case: int) -> list[tuple[str, str, str]]:
    """(kind, who, url): every page kind a signed-in person reaches often."""
    return [
        ("home", "applicant", "/"),
        ("my_cases", "applicant", "/my/cases/"),
        ("applicant_case", "applicant", f"/my/cases/{user_case}/"),
        ("calculator", "applicant", "/policies/"),
        ("item", "applicant", f"/policies/items/{item_code}/"),
        ("inbox", "applicant", "/inbox/"),
        ("queue", "reviewer", "/workbench/"),
        ("queue_filtered", "reviewer", f"/workbench/?all_stages=on&item={item_code}&sort=-amount&q=LOAD"),
        ("staff_case", "reviewer", f"/workbench/cases/{staff_case}/"),
        ("notices", "reviewer", "/notices/"),
        ("dashboard", "manager", "/dashboard/"),
        ("statistics", "manager", "/statistics/"),
        ("audit_log", "manager", "/audit/"),
    ]


def worker(args) -> None:
    """Measure the tree at args.root on the database in DATABASE_URL; print one JSON line."""
    root = Path(args.root).resolve()
    os.chdir(root)
    sys.path.insert(0, str(root))
    os.environ["DJANGO_SETTINGS_MODULE"] = "invest.settings"
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("FILE_STORE", tempfile.mkdtemp(prefix="jj-cpu-files-"))
    import django

    django.setup()
    # The seed functions of this checkout's bench/load.py (the apps above are already the measured tree's).
    spec = importlib.util.spec_from_file_location("load_bench", ROOT / "bench" / "load.py")
    load = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(load)

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from applications.models import Application
    from applications.workdays import seed_from_package

    item, rnd, companies, applicants, staff = load.seed(2)
    call_command("createcachetable", verbosity=0)
    seed_from_package()
    load.add_cases(item, rnd, companies, 1, args.cases)
    user, company = applicants[0]
    user_case = Application.objects.filter(company=company).exclude(state="draft").values_list("pk", flat=True)[0]
    staff_case = Application.objects.filter(state="preliminary_review").values_list("pk", flat=True)[0]
    users = {"applicant": user, **staff}
    out = {}
    for kind, who, url in page_kinds(item.code, user_case, staff_case):
        client = Client()
        client.force_login(users[who])
        for _ in range(5):
            response = client.get(url)
            assert response.status_code == 200, (kind, url, response.status_code)
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        queries = len(ctx.captured_queries)  # now: the log is reset by the next request
        times = []
        for _ in range(args.requests):
            started = time.process_time()
            client.get(url)
            times.append(time.process_time() - started)
        times.sort()
        out[kind] = {
            "p50": times[len(times) // 2] * 1000,
            "p95": times[min(len(times) - 1, int(0.95 * len(times)))] * 1000,
            "queries": queries,
        }
    print("RESULT " + json.dumps(out))


def database_urls(base_url: str, names: list[str]) -> list[str]:
    """A fresh database per measured tree: beside the given PostgreSQL one, or SQLite files."""
    if not base_url.startswith(("postgres://", "postgresql://")):
        folder = Path(tempfile.mkdtemp(prefix="jj-cpu-"))
        return [f"sqlite:///{folder / name}.sqlite3" for name in names]
    import psycopg

    head, _, _ = base_url.rpartition("/")
    with psycopg.connect(base_url, autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    return [f"{head}/{name}" for name in names]


def measure(root: Path, url: str, args) -> dict:
    env = {**os.environ, "DATABASE_URL": url}
    cmd = [sys.executable, str(ROOT / "bench" / "cpu.py"), "--worker", "--root", str(root)]
    cmd += ["--cases", str(args.cases), "--requests", str(args.requests)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"measuring {root} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page kind")
    parser.add_argument("--baseline", default=DEFAULT_BASELINE, help="git ref of today's figures, or none")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--root", default=str(ROOT), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return

    base_url = os.environ.get("DATABASE_URL", "")
    vendor = "PostgreSQL" if base_url.startswith("postgres") else "SQLite"
    print(f"load average at start: {load_avg()} (2 shared cores); {vendor}, {args.cases} cases, ", end="")
    print(f"{args.requests} requests per page kind, DEBUG off")
    trees: list[tuple[str, Path]] = []
    tmp = None
    if args.baseline != "none":
        tmp = Path(tempfile.mkdtemp(prefix="jj-cpu-base-")) / "tree"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tmp), args.baseline],
            check=True,
            capture_output=True,
        )
        # The message catalogues are built, not committed: build the baseline's as the working tree has its own.
        subprocess.run(
            [sys.executable, "manage.py", "compilemessages"], cwd=tmp, check=True, capture_output=True, env=os.environ
        )
        rev = subprocess.run(["git", "-C", str(tmp), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        trees.append((f"baseline {rev.stdout.strip()}", tmp))
    trees.append(("working tree", ROOT))
    try:
        urls = database_urls(base_url, [f"jj_cpu_{n}" for n in range(len(trees))])
        results = {}
        for (label, root), url in zip(trees, urls, strict=True):
            t0 = time.perf_counter()
            results[label] = measure(root, url, args)
            print(f"measured {label} in {time.perf_counter() - t0:.0f} s, load average {load_avg()}")
    finally:
        if tmp is not None:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tmp)], capture_output=True)
            shutil.rmtree(tmp.parent, ignore_errors=True)

    now = results["working tree"]
    base = results[trees[0][0]] if len(trees) > 1 else None
    print(f"\nCPU ms per request (time.process_time), load average {load_avg()}")
    if base:
        print(f"{'page':<16} {'base p50':>9} {'base p95':>9} {'now p50':>8} {'now p95':>8} {'ratio':>6} {'queries':>9}")
    else:
        print(f"{'page':<16} {'now p50':>8} {'now p95':>8} {'queries':>8}")
    missed = []
    for kind, fig in now.items():
        if fig["p50"] > 10:
            missed.append(f"{kind} {fig['p50']:.1f} ms")
        if base:
            b = base[kind]
            print(
                f"{kind:<16} {b['p50']:>9.1f} {b['p95']:>9.1f} {fig['p50']:>8.1f} {fig['p95']:>8.1f} "
                f"{fig['p50'] / b['p50']:>5.2f}× {b['queries']:>4} → {fig['queries']:<3}"
            )
        else:
            print(f"{kind:<16} {fig['p50']:>8.1f} {fig['p95']:>8.1f} {fig['queries']:>8}")
    if base:
        total_b = sum(b["p50"] for b in base.values())
        total_n = sum(f["p50"] for f in now.values())
        print(f"{'all kinds (sum)':<16} {total_b:>9.1f} {'':>9} {total_n:>8.1f} {'':>8} {total_n / total_b:>5.2f}×")
    print(
        "target p50 ≤ 10 ms CPU per request: "
        + ("met for every page kind" if not missed else "NOT met for " + ", ".join(missed))
    )


if __name__ == "__main__":
    main()
