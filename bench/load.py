"""Load benchmark: gunicorn (2 workers) on PostgreSQL, 10,000 cases, 50 concurrent clients.

    scripts/with-postgres .venv/bin/python bench/load.py [--seconds 60] [--clients 50] [--cases 10000]
    scripts/cluster run .venv/bin/python bench/load.py --target '$CLUSTER_URL'   # through nginx, two app hosts

Refuses to run without DATABASE_URL=postgres://… (it migrates and fills that database, so give it a
throw-away one, as scripts/with-postgres does). Steps:

1. migrate, seed the policy catalogue (``seed_policies``), create companies, users and cases in bulk;
2. query counts per page kind through Django's test client (CaptureQueriesContext) at 1,000 cases and
   again at the full number: the counts must not grow with the number of cases;
3. start gunicorn with 2 workers on 127.0.0.1 and drive a bounded mix of applicant and staff traffic
   (queue pages, case pages, calculator, new submissions, transitions) from N threads with the stdlib
   http.client for the given seconds; print requests per second, p50/p95/p99 latency per page kind and
   the errors (any status other than 2xx/3xx; for a POST anything but its redirect).

Before the traffic, two clients alone for 10 s give the same-run baseline: each page kind's p50 on an idle
server, printed beside the loaded p95 as a ratio.

Targets: zero errors; p95 < 300 ms for case and queue pages; query counts flat. The machine has 2 cores
shared with other developers, and the clients run on the same 2 cores as the server: the load average is
printed with the figures.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STATES = ["submitted", "accepted", "preliminary_review", "pending_decision", "public_notice", "approved", "draft"]


def setup_django() -> None:
    from _common import setup_postgres_django

    setup_postgres_django("load.py")


def seed(clients: int):
    from django.core.management import call_command

    from invest.roles import ensure_groups

    call_command("migrate", "--noinput", verbosity=0)
    call_command("seed_policies", verbosity=0)
    ensure_groups()
    from django.contrib.auth.models import Group, User

    from companies.models import Company, Membership
    from companies.uscc import make_code
    from policies.models import Round, SupportItem

    item = SupportItem.objects.get(code="JJ-FILM-01")
    rnd = Round.objects.filter(policy=item.policy).order_by("-year").first()
    companies = Company.objects.bulk_create(
        Company(
            credit_code=make_code(f"91500116{i:09d}"),
            name=f"重庆压测影视文化有限公司{i}",
            legal_representative="王压测",
            registered_capital=Decimal("5000000"),
            paid_in_capital=Decimal("2000000"),
            registration_district="江津区",
            tax_district="江津区",
            contact_email="load@example.com",
        )
        for i in range(1, 201)
    )
    groups = {g.name: g for g in Group.objects.all()}
    applicants = []
    for i, company in enumerate(companies[:clients]):
        user = User.objects.create_user(f"applicant{i}", password=secrets.token_urlsafe(16))
        user.groups.add(groups["applicant"])
        Membership.objects.create(user=user, company=company, status=Membership.Status.CONFIRMED)
        applicants.append((user, company))
    staff = {}
    for role in ("clerk", "reviewer", "approver", "manager"):
        user = User.objects.create_user(f"load-{role}", password=secrets.token_urlsafe(16))
        user.groups.add(groups[role])
        staff[role] = user
    return item, rnd, companies, applicants, staff


def add_cases(item, rnd, companies, start: int, count: int) -> None:
    from django.utils import timezone

    from applications.models import Application

    now = timezone.now()
    today = timezone.localdate()
    # Cases waiting for acceptance or in public notice carry a deadline, as real ones do (the pages compute
    # "days left" per row from the working-day calendar).
    due = {"submitted": "acceptance", "public_notice": "public_notice"}
    batch = []
    for n in range(start, start + count):
        state = STATES[n % len(STATES)]
        amount = Decimal("100000.00")
        batch.append(
            Application(
                case_number=f"JJYS-LOAD-{n:06d}",
                company=companies[n % len(companies)],
                item=item,
                round=rnd,
                project_title=f"电影《压测{n}》",
                facts={"local_spend": "1000000", "shooting_days_in_jiangjin": 20, "has_filing": True},
                snapshot={},
                state=state,
                submitted_at=None if state == "draft" else now,
                requested_amount=amount,
                computed_amount=amount,
                reviewed_amount=amount if state in ("pending_decision", "public_notice", "approved") else None,
                approved_amount=amount if state in ("public_notice", "approved") else None,
                integrity_pledge_at=now,
                due_date=today + timedelta(days=n % 15 - 3) if state in due else None,
                due_kind=due.get(state, ""),
            )
        )
    Application.objects.bulk_create(batch, batch_size=2000)


def apply_form(item, rnd, company) -> dict:
    data = {"company": company.pk, "round": rnd.pk, "project_title": "电影《压测新片》"}
    for spec in item.form_fields or []:
        kind = spec.get("type")
        if kind == "boolean":
            data[spec["key"]] = "true"
        elif kind == "choice":
            data[spec["key"]] = (spec.get("choices") or [{"value": ""}])[0].get("value", "")
        else:
            data[spec["key"]] = "600000" if "spend" in spec["key"] else "20"
    return data


def page_urls(item, user_case, staff_case):
    return {
        "queue": "/workbench/",
        "staff_case": f"/workbench/cases/{staff_case}/",
        "my_cases": "/my/cases/",
        "applicant_case": f"/my/cases/{user_case}/",
        "calculator": "/policies/",
    }


def query_counts(item, applicants, staff) -> dict[str, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from applications.models import Application

    user, company = applicants[0]
    user_case = Application.objects.filter(company=company).exclude(state="draft").values_list("pk", flat=True)[0]
    staff_case = Application.objects.filter(state="preliminary_review").values_list("pk", flat=True)[0]
    counts = {}
    for kind, url in page_urls(item, user_case, staff_case).items():
        client = Client()
        client.force_login(user if kind in ("my_cases", "applicant_case", "calculator") else staff["reviewer"])
        client.get(url)  # warm caches (sessions, content types)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        counts[kind] = len(ctx.captured_queries)
    return counts


def session_cookie(user) -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    sys.exit("gunicorn did not answer /healthz")


def drive(port, seconds, clients, item, rnd, applicants, staff, think=0.0):
    from django.conf import settings

    from applications.models import Application

    csrf = secrets.token_hex(16)
    csrf_cookie = f"{settings.CSRF_COOKIE_NAME}={csrf}"
    staff_cookies = {role: session_cookie(u) for role, u in staff.items()}
    applicant_cookies = [(session_cookie(u), c) for u, c in applicants]
    own_cases = {
        c.pk: list(Application.objects.filter(company=c).exclude(state="draft").values_list("pk", flat=True)[:20])
        for _, c in applicants
    }
    review_pool = list(Application.objects.filter(state="preliminary_review").values_list("pk", flat=True)[:5000])
    accept_pool = list(Application.objects.filter(state="accepted").values_list("pk", flat=True))
    random.shuffle(accept_pool)
    pool_lock = threading.Lock()
    results = defaultdict(list)  # kind -> [seconds]
    errors = defaultdict(int)
    error_samples = []
    stop_at = time.monotonic() + seconds

    def request(conn, method, path, cookie, body=None):
        headers = {"Cookie": f"{cookie}; {csrf_cookie}", "Host": "127.0.0.1"}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = csrf
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status

    def client(n: int):
        rng = random.Random(n)
        # Clients start spread over one think time, not all in the same millisecond.
        if think:
            time.sleep(rng.uniform(0, think))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        applicant = n % 2 == 0
        cookie, company = applicant_cookies[n % len(applicant_cookies)]
        staff_cookie = staff_cookies["reviewer"]
        while time.monotonic() < stop_at:
            if applicant:
                roll = rng.random()
                if roll < 0.3:
                    kind, method, path, body = "my_cases", "GET", "/my/cases/", None
                elif roll < 0.65:
                    kind, method, path, body = (
                        "applicant_case",
                        "GET",
                        f"/my/cases/{rng.choice(own_cases[company.pk])}/",
                        None,
                    )
                elif roll < 0.95:
                    kind, method, path, body = "calculator", "GET", f"/policies/items/{item.code}/", None
                else:
                    kind, method = "submission", "POST"
                    path, body = f"/my/apply/{item.code}/", urlencode(apply_form(item, rnd, company))
                use_cookie = cookie
            else:
                roll = rng.random()
                if roll < 0.4:
                    kind, method, path, body = "queue", "GET", "/workbench/", None
                elif roll < 0.9:
                    kind, method, path, body = "staff_case", "GET", f"/workbench/cases/{rng.choice(review_pool)}/", None
                else:
                    with pool_lock:
                        pk = accept_pool.pop() if accept_pool else None
                    if pk is None:
                        continue
                    kind, method, path, body = "transition", "POST", f"/workbench/cases/{pk}/act/start_review", ""
                use_cookie = staff_cookie
            started = time.perf_counter()
            try:
                status = request(conn, method, path, use_cookie, body)
            except (OSError, http.client.HTTPException) as exc:
                status = f"{type(exc).__name__}"
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            elapsed = time.perf_counter() - started
            results[kind].append(elapsed)
            # a page is served with 2xx/3xx; a POST succeeds only with its redirect (200 = form refused)
            wanted = (302, 303) if method == "POST" else range(200, 400)
            if not (isinstance(status, int) and status in wanted):
                errors[kind] += 1
                if len(error_samples) < 10:
                    error_samples.append(f"{method} {path} -> {status}")
            if think:
                # A person reads the page before the next click: uniform between half and one and a half times
                # the mean think time.
                time.sleep(rng.uniform(0.5 * think, 1.5 * think))
        conn.close()

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 120)
    return results, errors, error_samples, time.monotonic() - started


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument(
        "--think",
        type=float,
        default=1.0,
        help="mean seconds a client waits between its requests (0: closed loop, measures the saturation point)",
    )
    parser.add_argument(
        "--target",
        help="drive a running service at this address instead of starting gunicorn here, e.g. the cluster's nginx: "
        "scripts/cluster run .venv/bin/python bench/load.py --target '$CLUSTER_URL' (it seeds the database the "
        "service uses, DATABASE_URL)",
    )
    args = parser.parse_args()
    setup_django()

    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (2 shared cores)")
    t0 = time.perf_counter()
    item, rnd, companies, applicants, staff = seed(args.clients)
    first = min(1000, args.cases)
    add_cases(item, rnd, companies, 1, first)
    counts_small = query_counts(item, applicants, staff)
    add_cases(item, rnd, companies, first + 1, args.cases - first)
    counts_large = query_counts(item, applicants, staff)
    print(f"seeded {args.cases} cases in {time.perf_counter() - t0:.1f} s")
    print(f"\nqueries per page   at {first:>6} cases   at {args.cases:>6} cases")
    grows = False
    for kind in counts_small:
        flag = "" if counts_large[kind] <= counts_small[kind] else "  GROWS"
        grows |= bool(flag)
        print(f"  {kind:<16} {counts_small[kind]:>14} {counts_large[kind]:>18}{flag}")
    print("query counts " + ("GROW with the number of cases" if grows else "do not grow with the number of cases"))

    from django.db import connections

    connections.close_all()
    if args.target:
        from urllib.parse import urlsplit

        target = urlsplit(os.path.expandvars(args.target))
        if target.hostname not in ("127.0.0.1", "localhost") or not target.port:
            sys.exit("--target must be http://127.0.0.1:<port> (the clients speak to loopback)")
        port = target.port
        wait_for(port)
        print(f"\ntarget {args.target}: {args.clients} clients for {args.seconds} s, think time {args.think:g} s mean")
        print(f"load average before traffic: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        base, base_errors, _, _ = drive(port, 10, 2, item, rnd, applicants, staff, think=0)
        results, errors, samples, elapsed = drive(
            port, args.seconds, args.clients, item, rnd, applicants, staff, think=args.think
        )
        print(f"load average after traffic: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        report(results, errors, samples, elapsed, base, base_errors)
        return
    port = free_port()
    env = {**os.environ, "DEBUG": "false"}
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "invest.wsgi",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--timeout",
            "120",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_for(port)
        print(
            f"\ngunicorn (2 workers) on 127.0.0.1:{port}; {args.clients} clients for {args.seconds} s, "
            f"think time {args.think:g} s mean (uniform ±50 %)"
        )
        print(f"load average before traffic: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        # Same-run baseline: two clients (one applicant, one reviewer) alone, no think time, so each
        # request meets an idle worker; the loaded p95 is printed as a multiple of this.
        base, base_errors, _, _ = drive(port, 10, 2, item, rnd, applicants, staff, think=0)
        results, errors, samples, elapsed = drive(
            port, args.seconds, args.clients, item, rnd, applicants, staff, think=args.think
        )
        print(f"load average after traffic: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    report(results, errors, samples, elapsed, base, base_errors)


def report(results, errors, samples, elapsed, base, base_errors) -> None:
    total = sum(len(v) for v in results.values())
    print(f"\n{total} requests in {elapsed:.1f} s = {total / elapsed:.1f} requests/s; errors: {sum(errors.values())}")
    print(f"{'page':<16} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for kind in sorted(results):
        v = results[kind]
        print(
            f"{kind:<16} {len(v):>6} {pct(v, 50) * 1000:>8.0f} {pct(v, 95) * 1000:>8.0f} "
            f"{pct(v, 99) * 1000:>8.0f} {errors[kind]:>7}"
        )
    for s in samples:
        print("  error:", s)
    print(f"\nbaseline in the same run: 2 clients alone for 10 s, errors: {sum(base_errors.values())}")
    print(f"{'page':<16} {'alone p50 ms':>13} {'loaded p95 ms':>14} {'ratio':>7}")
    for kind in sorted(results):
        if base.get(kind):
            alone, loaded = pct(base[kind], 50) * 1000, pct(results[kind], 95) * 1000
            print(f"{kind:<16} {alone:>13.0f} {loaded:>14.0f} {loaded / alone:>6.1f}×")
    for kind in ("queue", "staff_case", "applicant_case", "my_cases"):
        if results.get(kind):
            p95 = pct(results[kind], 95) * 1000
            print(f"target p95 < 300 ms for {kind}: {'met' if p95 < 300 else 'NOT met'} ({p95:.0f} ms)")


if __name__ == "__main__":
    main()
