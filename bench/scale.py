"""Scale benchmark: every page kind at 10,000 and at 1,000,000 cases, in one PostgreSQL database.

    scripts/with-postgres .venv/bin/python bench/scale.py [--first 10000] [--cases 1000000] [--repeat 15]

Refuses to run without DATABASE_URL=postgres://… (it migrates and fills the database it is given). Steps:

1. migrate, seed the policy catalogue, a round per policy and year (2017–2026), the staff (one user per role)
   and the applicant who measures the applicant's pages;
2. seed ``--first`` cases with psycopg's COPY straight into the tables, in realistic proportion: one company
   (with one confirmed member) per 10 cases; ten years of cases, the past years' ended (archived, rejected,
   not accepted, withdrawn, lapsed …), this year's spread over the working stages with their deadlines (some
   overdue); per case about three audit entries, one notification, up to four stage visits (the statistics'
   working days), a document for cases past acceptance or decided, a disbursement for paid ones, and notice
   batches of 50 for cases in 公示. VACUUM ANALYZE (what autovacuum keeps);
3. measure every page kind in a fresh process (``--measure-only``: Django's test Client, signed-in sessions, in
   a process that did not seed): queries per page
   (CaptureQueriesContext) and the time of ``--repeat`` requests after one warm-up, p50 and p95;
4. seed up to ``--cases`` in the same database (companies grow with the cases, 100,000 at a million), ANALYZE,
   measure again; print the table: page kind, queries, p50/p95 at both sizes, p50 ratio and whether the
   target is met (same query count, p50 within 1.5×).

The machine has 2 cores shared with other developers: the load average is printed with the figures. Wrap the
run in ``flock /tmp/coord/bench.lock`` (or any lock the benchmarks share) so that two benchmarks never run at
once.

``--measure-only`` skips the seeding and measures the database as it is (after migrate and VACUUM ANALYZE): for a
server kept running between runs (``DATABASE_URL`` of your own), to measure again after a change.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

YEARS = list(range(2017, 2027))
THIS_YEAR = YEARS[-1]
CASES_PER_COMPANY = 10

#: This year's cases over the stages (weights), and the past years' (ended or paid).
CURRENT = {
    "draft": 8,
    "submitted": 10,
    "correction_requested": 4,
    "accepted": 10,
    "preliminary_review": 14,
    "expert_review": 10,
    "pending_decision": 8,
    "public_notice": 4,
    "objection_review": 0.5,
    "approved": 8,
    "disbursed": 6,
    "not_accepted": 3,
    "withdrawn": 3,
    "rejected": 5,
    "lapsed": 1,
}
PAST = {
    "archived": 60,
    "disbursed": 5,
    "approved": 3,
    "rejected": 12,
    "not_accepted": 8,
    "withdrawn": 8,
    "lapsed": 3,
    "clawed_back": 1,
}
MAIN_PATH = [
    "draft",
    "submitted",
    "accepted",
    "preliminary_review",
    "expert_review",
    "pending_decision",
    "public_notice",
    "approved",
    "disbursed",
    "archived",
]
#: Where an ended case left the main path (the stage before its end state).
ENDED_FROM = {
    "not_accepted": "submitted",
    "withdrawn": "preliminary_review",
    "rejected": "pending_decision",
    "lapsed": "correction_requested",
    "clawed_back": "disbursed",
    "correction_requested": "submitted",
    "objection_review": "public_notice",
}
REVIEWED = {"pending_decision", "public_notice", "objection_review", "approved", "disbursed", "archived", "rejected"}
COMMITTED = {"public_notice", "objection_review", "approved", "disbursed", "archived", "clawed_back"}
PAID = {"disbursed", "archived", "clawed_back"}
DUE = {"submitted": "acceptance", "correction_requested": "correction", "public_notice": "public_notice"}
DOCUMENT_OF = {
    "not_accepted": "not_accepted_notice",
    "approved": "approval_decision",
    "disbursed": "disbursement_notice",
    "archived": "disbursement_notice",
    "clawed_back": "disbursement_notice",
    "rejected": "rejection_decision",
    "accepted": "acceptance_notice",
    "preliminary_review": "acceptance_notice",
    "expert_review": "acceptance_notice",
    "pending_decision": "acceptance_notice",
    "public_notice": "acceptance_notice",
    "correction_requested": "correction_notice",
}
TARGET_RATIO = 1.5


def setup_django() -> None:
    from _common import setup_postgres_django

    setup_postgres_django("scale.py")


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# --- COPY ---------------------------------------------------------------------------------------------------


class Copier:
    """Rows of one model into its table with COPY, every column given: what a row leaves out takes the model
    field's default (its callable, auto_now, NULL or the empty string), so NOT NULL columns stay right."""

    def __init__(self, model):
        from django.db.models import NOT_PROVIDED, JSONField

        self.model = model
        self.table = model._meta.db_table
        self.fields = list(model._meta.concrete_fields)
        self.columns = [f.column for f in self.fields]
        self.json = [isinstance(f, JSONField) for f in self.fields]
        now = datetime.now(UTC)
        self.defaults = []
        for f in self.fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                self.defaults.append(lambda now=now: now)
            elif f.default is not NOT_PROVIDED:
                self.defaults.append(f.default if callable(f.default) else (lambda v=f.default: v))
            elif f.null:
                self.defaults.append(lambda: None)
            else:
                self.defaults.append(lambda: "")
        self.attnames = [f.attname for f in self.fields]

    def next_id(self, cursor) -> int:
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{self.table}"')
        return cursor.fetchone()[0]

    def write(self, cursor, rows) -> int:
        cols = ", ".join(f'"{c}"' for c in self.columns)
        n = 0
        spec = list(zip(self.attnames, self.defaults, self.json, strict=True))
        with cursor.copy(f'COPY "{self.table}" ({cols}) FROM STDIN') as copy:
            for row in rows:
                out = []
                for name, default, is_json in spec:
                    value = row[name] if name in row else default()
                    if is_json and value is not None:
                        value = json.dumps(value, ensure_ascii=False)
                    out.append(value)
                copy.write_row(out)
                n += 1
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{self.table}\"', 'id'), "
            f'(SELECT COALESCE(MAX(id), 1) FROM "{self.table}"))'
        )
        return n


# --- the world ----------------------------------------------------------------------------------------------


def base_world():
    """Policies, a round per policy and year, the staff, the measuring applicant and its company."""
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command

    from companies.models import Company, Membership
    from companies.uscc import make_code
    from invest.roles import ensure_groups
    from policies.models import Policy, Round

    call_command("migrate", "--noinput", verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("seed_policies", verbosity=0)
    ensure_groups()
    for policy in Policy.objects.all():
        for year in YEARS:
            if not Round.objects.filter(policy=policy, year=year).exists():
                Round.objects.create(
                    policy=policy,
                    name=f"{year}年度压测批次",
                    year=year,
                    opens_at=datetime(year, 1, 1, tzinfo=UTC),
                    closes_at=datetime(year, 12, 31, tzinfo=UTC),
                    budget=Decimal("500000000"),
                )
    groups = {g.name: g for g in Group.objects.all()}
    staff = {}
    for role in ("clerk", "reviewer", "approver", "manager", "auditor", "expert"):
        user, created = User.objects.get_or_create(username=f"scale-{role}", defaults={"first_name": role})
        if created:
            user.set_unusable_password()
            user.save()
            user.groups.add(groups[role])
        staff[role] = user
    company = Company.objects.filter(credit_code=make_code("91500116000000001")).first() or Company.objects.create(
        credit_code=make_code("91500116000000001"),
        name="重庆规模压测影视文化有限公司1",
        legal_representative="王压测",
        registration_district="江津区",
        tax_district="江津区",
    )
    applicant, created = User.objects.get_or_create(username="scale-applicant")
    if created:
        applicant.set_unusable_password()
        applicant.save()
        applicant.groups.add(groups["applicant"])
        Membership.objects.create(user=applicant, company=company, status=Membership.Status.CONFIRMED)
    return staff, applicant, company


def seed(upto: int, staff, applicant, first_company) -> dict[str, int]:
    """COPY cases (with their companies, members, audit entries, notifications, visits, documents,
    disbursements and notice batches) until there are ``upto`` cases. Returns rows written per table."""
    from django.contrib.auth.models import Group, User
    from django.db import connection, transaction

    from applications.documents.models import Document
    from applications.models import Application, Disbursement, NoticeBatch, Notification
    from applications.statistics.models import StageVisit
    from companies.models import Company, Membership
    from companies.uscc import make_code
    from invest.models import AuditEntry
    from policies.models import Round, SupportItem

    User.groups.through  # noqa: B018 (the join table's model, for COPY)
    copiers = {
        m: Copier(m)
        for m in (
            Company,
            User,
            User.groups.through,
            Membership,
            Application,
            AuditEntry,
            Notification,
            StageVisit,
            Document,
            Disbursement,
            NoticeBatch,
        )
    }
    start = Application.objects.count() + 1
    if start > upto:
        return {}
    items = list(SupportItem.objects.values_list("id", "policy_id", "code"))
    rounds = {(p, y): r for r, p, y in Round.objects.filter(year__in=YEARS).values_list("id", "policy_id", "year")}
    applicant_group = Group.objects.get(name="applicant").pk
    now = datetime.now(UTC)
    today = date.today()
    written: dict[str, int] = {}
    rng = random.Random(start)
    current_states, current_w = zip(*CURRENT.items(), strict=True)
    past_states, past_w = zip(*PAST.items(), strict=True)

    with transaction.atomic(), connection.cursor() as cur:
        raw = cur.cursor  # psycopg's own cursor, for copy()
        ids = {m: copiers[m].next_id(cur) for m in copiers}
        # companies and their members: company k (1-based over the bench's cases) holds cases 10k-9 … 10k
        first_k = (start - 1) // CASES_PER_COMPANY + 1
        last_k = (upto - 1) // CASES_PER_COMPANY + 1
        existing = set(Company.objects.filter(credit_code__startswith="9150011").values_list("credit_code", flat=True))
        company_of: dict[int, int] = {}
        if first_k == 1:
            company_of[1] = first_company.pk
        codes = {}
        for k in range(max(first_k, 2), last_k + 1):
            code = make_code(f"91500116{k:09d}")
            if code in existing:
                continue
            codes[k] = code
        cid = ids[Company]
        for k in codes:
            company_of[k] = cid
            cid += 1
        if first_k > 1 and first_k not in company_of:
            # the company of the first new case was written with the cases before (a size not a multiple of 10)
            company_of[first_k] = Company.objects.get(credit_code=make_code(f"91500116{first_k:09d}")).pk
        written["company"] = copiers[Company].write(
            raw,
            (
                {
                    "id": company_of[k],
                    "credit_code": code,
                    "name": f"重庆规模压测影视文化有限公司{k}",
                    "legal_representative": "王压测",
                    "registered_capital": Decimal("5000000.00"),
                    "paid_in_capital": Decimal("2000000.00"),
                    "registration_district": "江津区" if k % 7 else "永川区",
                    "tax_district": "江津区",
                    "contact_email": f"c{k}@example.com",
                }
                for k, code in codes.items()
            ),
        )
        uid = ids[User]
        member_of: dict[int, int] = {}  # company id -> the member's user id (for notifications)
        if first_k == 1:
            member_of[first_company.pk] = applicant.pk
        user_rows, group_rows, member_rows = [], [], []
        gid, mid = ids[User.groups.through], ids[Membership]
        for k in codes:
            member_of[company_of[k]] = uid
            user_rows.append(
                {
                    "id": uid,
                    "username": f"scale-m{k}",
                    "password": "!",
                    "email": f"m{k}@example.com",
                    "date_joined": now,
                }
            )
            group_rows.append({"id": gid, "user_id": uid, "group_id": applicant_group})
            member_rows.append(
                {"id": mid, "user_id": uid, "company_id": company_of[k], "status": "confirmed", "decided_at": now}
            )
            uid, gid, mid = uid + 1, gid + 1, mid + 1
        written["user"] = copiers[User].write(raw, user_rows)
        copiers[User.groups.through].write(raw, group_rows)
        written["membership"] = copiers[Membership].write(raw, member_rows)
        if first_k > 1 and company_of[first_k] not in member_of:
            member_of[company_of[first_k]] = (
                Membership.objects.filter(company_id=company_of[first_k]).values_list("user_id", flat=True).first()
            )

        cases, audits, notes, visits, docs, pays = [], [], [], [], [], []
        aid, nid, vid, did, pid = (ids[m] for m in (AuditEntry, Notification, StageVisit, Document, Disbursement))
        bid = ids[NoticeBatch]
        batch_rows, batch_fill = [], 50
        app_id = ids[Application]
        reviewer, clerk, approver = staff["reviewer"].pk, staff["clerk"].pk, staff["approver"].pk
        for n in range(start, upto + 1):
            # in the order they came: each seeding step's cases year by year, as a table grows
            year = YEARS[(n - start) * len(YEARS) // (upto - start + 1)]
            if year == THIS_YEAR:
                state = rng.choices(current_states, current_w)[0]
                day0 = date(year, 1, 5) + timedelta(days=rng.randrange(0, max(1, (today - date(year, 1, 5)).days)))
            else:
                state = rng.choices(past_states, past_w)[0]
                day0 = date(year, 1, 5) + timedelta(days=rng.randrange(0, 300))
            item_id, policy_id, item_code = items[n % len(items)]
            company_id = company_of[(n - 1) // CASES_PER_COMPANY + 1]
            submitted = datetime(day0.year, day0.month, day0.day, 2, 0, tzinfo=UTC) + timedelta(minutes=n % 600)
            amount = Decimal(100000 + (n * 7919) % 900000).quantize(Decimal("0.01"))
            due_kind = DUE.get(state, "")
            due_date = today + timedelta(days=n % 20 - 4) if due_kind else None
            batch = None
            if state in ("public_notice", "objection_review"):
                if batch_fill >= 50:
                    batch_rows.append(
                        {
                            "id": bid,
                            "title": f"{year}年度扶持资金拟支持项目公示（第{bid}批）",
                            "started_by_id": approver,
                            "started_at": now,
                            "ends_on": today + timedelta(days=7),
                        }
                    )
                    bid, batch_fill = bid + 1, 0
                batch, batch_fill = bid - 1, batch_fill + 1
            decided = submitted + timedelta(days=60) if state in REVIEWED | COMMITTED else None
            cases.append(
                {
                    "id": app_id,
                    "case_number": f"JJYS-{year}-{n:07d}",
                    "company_id": company_id,
                    "item_id": item_id,
                    "round_id": rounds[(policy_id, year)],
                    "project_title": f"电影《规模{n}》",
                    "facts": {"local_spend": str(amount * 10), "shooting_days_in_jiangjin": 20, "has_filing": True},
                    "snapshot": {},
                    "state": state,
                    "requested_amount": amount,
                    "computed_amount": amount,
                    "reviewed_amount": amount if state in REVIEWED else None,
                    "approved_amount": amount if state in COMMITTED else None,
                    "disbursed_amount": amount if state in PAID else Decimal("0.00"),
                    "integrity_pledge_at": None if state == "draft" else submitted,
                    "due_date": due_date,
                    "due_kind": due_kind,
                    "overdue_since": due_date if due_date and due_date < today and n % 3 == 0 else None,
                    "notice_batch_id": batch,
                    "created_at": submitted - timedelta(days=3),
                    "updated_at": submitted,
                    "submitted_at": None if state == "draft" else submitted,
                    "decided_at": decided,
                }
            )
            # the path the case took: the main path up to its stage, or up to where it left it
            anchor = ENDED_FROM.get(state, state)
            path = MAIN_PATH[: MAIN_PATH.index(anchor) + 1] if anchor in MAIN_PATH else ["draft"]
            if state != anchor:
                path.append(state)
            at = submitted
            # audit: the submission, the acceptance and the last change (about three per case)
            marks = [i for i in range(1, len(path)) if i <= 2 or i == len(path) - 1]
            for i in marks:
                actor, role = (
                    (member_of.get(company_id), "applicant") if path[i] == "submitted" else (reviewer, "reviewer")
                )
                audits.append(
                    {
                        "id": aid,
                        "at": at + timedelta(days=5 * i),
                        "actor_id": actor,
                        "actor_role": role,
                        "action": f"case.{_transition(path[i - 1], path[i])}",
                        "target_type": "applications.application",
                        "target_id": str(app_id),
                        "before": {"state": path[i - 1]},
                        "after": {"state": path[i]},
                        "reason": "",
                    }
                )
                aid += 1
            if state == "draft":
                audits.append(
                    {
                        "id": aid,
                        "at": at,
                        "actor_id": member_of.get(company_id),
                        "actor_role": "applicant",
                        "action": "case.create",
                        "target_type": "applications.application",
                        "target_id": str(app_id),
                        "before": None,
                        "after": {"state": "draft"},
                        "reason": "",
                    }
                )
                aid += 1
            # stage visits: the last three finished stays and the open one
            for i in range(max(1, len(path) - 4), len(path)):
                entered = at + timedelta(days=5 * (i - 1))
                last = i == len(path) - 1
                visits.append(
                    {
                        "id": vid,
                        "application_id": app_id,
                        "state": path[i],
                        "entered_at": entered,
                        "left_at": None if last else entered + timedelta(days=5),
                        "working_days": None if last else 3 + n % 5,
                    }
                )
                vid += 1
            if state != "draft" and member_of.get(company_id):
                notes.append(
                    {
                        "id": nid,
                        "recipient_id": member_of[company_id],
                        "application_id": app_id,
                        "event": f"case.{state}",
                        "subject": f"您的申报 JJYS-{year}-{n:07d} 已进入新阶段",
                        "body": "",
                        "created_at": at + timedelta(days=5 * len(path)),
                        "read_at": at + timedelta(days=5 * len(path) + 1) if n % 4 else None,
                    }
                )
                nid += 1
            kind = DOCUMENT_OF.get(state)
            if kind:
                code = hashlib.blake2b(f"{did}".encode(), digest_size=10).hexdigest().upper()[:16]
                docs.append(
                    {
                        "id": did,
                        "kind": kind,
                        "issuer": "江津文旅",
                        "year": year,
                        "sequence": did,
                        "number": f"江津文旅〔{year}〕S{did}号",
                        "verification_code": code,
                        "application_id": app_id,
                        "context": {"case_number": f"JJYS-{year}-{n:07d}"},
                        "status": "issued",
                        "issued_at": at + timedelta(days=10),
                        "issued_by_id": clerk,
                        "transition": "",
                    }
                )
                did += 1
            if state in PAID:
                pays.append(
                    {
                        "id": pid,
                        "application_id": app_id,
                        "amount": amount,
                        "paid_on": (at + timedelta(days=90)).date(),
                        "voucher_number": f"PZ-S{pid}",
                        "recorded_by_id": staff["manager"].pk,
                        "recorded_at": at + timedelta(days=90),
                    }
                )
                pid += 1
            app_id += 1
            if len(cases) >= 20_000 or n == upto:
                for model, rows in (
                    (NoticeBatch, batch_rows),
                    (Application, cases),
                    (AuditEntry, audits),
                    (Notification, notes),
                    (StageVisit, visits),
                    (Document, docs),
                    (Disbursement, pays),
                ):
                    written[model._meta.model_name] = written.get(model._meta.model_name, 0) + copiers[model].write(
                        raw, rows
                    )
                    rows.clear()
    with connection.cursor() as cur:
        # the steady state autovacuum keeps: statistics, and the visibility map index-only scans rely on
        cur.execute("VACUUM ANALYZE")
    return written


def _transition(source: str, target: str) -> str:
    from applications import workflow

    for t in workflow.TRANSITIONS:
        if source in t.sources and t.target == target:
            return t.key
    return "submit"


# --- the pages ----------------------------------------------------------------------------------------------


def pages(staff, applicant, company) -> list[tuple[str, str, object]]:
    """(page kind, URL, who) for every page kind; the case pages open a case of the first thousand."""
    from applications.models import Application
    from policies.models import Round

    own = (
        Application.objects.filter(company=company)
        .exclude(state="draft")
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    review = Application.objects.filter(state="preliminary_review").order_by("pk").values_list("pk", flat=True)[0]
    rnd = Round.objects.filter(year=THIS_YEAR, policy__items__code="JJ-FILM-01").values_list("pk", flat=True)[0]
    case_number = Application.objects.filter(pk=review).values_list("case_number", flat=True)[0]
    reviewer, manager, auditor = staff["reviewer"], staff["manager"], staff["auditor"]
    out = [
        ("queue", "/workbench/", reviewer),
        ("queue page 3", "/workbench/?page=3", reviewer),
        ("queue stage", "/workbench/?stage=preliminary_review", reviewer),
        ("queue item", "/workbench/?item=JJ-FILM-01", reviewer),
        ("queue round", f"/workbench/?round={rnd}", reviewer),
        ("queue overdue", "/workbench/?overdue=on", reviewer),
        ("queue mine", "/workbench/?mine=on", reviewer),
        ("queue all stages", "/workbench/?all_stages=on", reviewer),
        ("queue search", "/workbench/?q=%E8%A7%84%E6%A8%A1123", reviewer),
    ]
    for sort in ("-due", "submitted", "-submitted", "amount", "-amount", "case", "-case"):
        out.append((f"queue sort {sort}", f"/workbench/?sort={sort}", reviewer))
    out += [
        ("staff case", f"/workbench/cases/{review}/", reviewer),
        ("my cases", "/my/cases/", applicant),
        ("applicant case", f"/my/cases/{own}/", applicant),
        ("inbox", "/inbox/", applicant),
        ("calculator", "/policies/", applicant),
        ("calculator item", "/policies/items/JJ-FILM-01/", applicant),
        ("dashboard", "/dashboard/", manager),
        ("dashboard stage", "/dashboard/?stage=preliminary_review", manager),
        ("statistics", "/statistics/", manager),
        ("notices (公示)", "/notices/", None),
        ("audit viewer", "/audit/", auditor),
        ("audit viewer case", f"/audit/?target={case_number}", auditor),
        ("audit viewer actor", f"/audit/?actor={reviewer.username}", auditor),
        ("api applications", "/api/v1/applications/", reviewer),
        ("api applicant's", "/api/v1/applications/", applicant),
        ("api companies", "/api/v1/companies/", reviewer),
        ("api notices", "/api/v1/notices/", None),
        ("api experts", "/api/v1/experts/", reviewer),
        ("api items", "/api/v1/items/", applicant),
        ("api policies", "/api/v1/policies/", applicant),
        # the dashboard with its figures expired each time: what the first visitor after DASHBOARD_FIGURES_TTL
        # (or after another filter) waits for. Last: reading every case fills PostgreSQL's buffer cache with
        # them, and the pages measured after it found their own tables out of it (the API lists measured after
        # these took twice their time at a million)
        ("dashboard cold", "/dashboard/", manager),
        ("dashboard stage cold", "/dashboard/?stage=preliminary_review", manager),
    ]
    return out


def measure(page_list, repeat: int) -> dict[str, tuple[int, float, float]]:
    """Per page kind: (queries, p50 ms, p95 ms) over ``repeat`` requests after one warm-up."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    out = {}
    clients = {}
    for kind, url, user in page_list:
        key = user.pk if user else None
        if key not in clients:
            clients[key] = Client()
            if user:
                clients[key].force_login(user)
        client = clients[key]
        cache.clear()  # throttles and cached figures start the same at both sizes
        client.get(url)  # warm-up
        if kind.endswith(" cold"):
            cache.clear()
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        queries = len(ctx.captured_queries)  # now: the next request's start clears the log
        assert response.status_code == 200, (kind, url, response.status_code)
        times = []
        for _ in range(repeat):
            if kind.endswith(" cold"):
                cache.clear()
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (kind, url, response.status_code)
        times.sort()
        out[kind] = (queries, pct(times, 50), pct(times, 95))
    return out


def settle(limit: float = 60.0) -> None:
    """Wait (at most ``limit`` seconds) until the last minute's load average is below one of the two cores, so
    that the server's background writes after seeding are not measured as page time."""
    started = time.monotonic()
    while os.getloadavg()[0] > 1.0 and time.monotonic() - started < limit:
        time.sleep(2)


def measure_in_child(args) -> dict[str, tuple[int, float, float]]:
    """``measure`` in a new process (``--measure-only``), as a web worker meets the database: the seeding
    process's own heap (millions of rows passed through it) made even the pages that read no case, the
    policy list say, twice as slow at the second size."""
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        command = [sys.executable, __file__, "--measure-only", "--repeat", str(args.repeat), "--results-json", out.name]
        command += ["--only", args.only] + (["--skip", args.skip] if args.skip else [])
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        return {kind: tuple(row) for kind, row in json.loads(Path(out.name).read_text()).items()}


def chosen(kind: str, args) -> bool:
    return args.only in kind and not (args.skip and args.skip in kind)


def pct(values, q):
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--first", type=int, default=10_000)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--measure-only", action="store_true")
    parser.add_argument("--only", default="", help="measure only the page kinds whose name contains this")
    parser.add_argument("--skip", default="", help="leave out the page kinds whose name contains this")
    parser.add_argument("--results-json", default="", help=argparse.SUPPRESS)  # a measuring child's answer
    args = parser.parse_args()
    setup_django()
    os.environ.setdefault("API_THROTTLE_USER", "100000/minute")
    from django.conf import settings

    settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].update({"user": "100000/minute", "anon": "100000/minute"})
    from django.db import connection

    from applications.models import Application

    print(f"bench/scale.py on PostgreSQL {connection.cursor().connection.info.server_version}, {date.today()}")
    print(f"load average at start: {load()} (2 shared cores)")
    staff, applicant, company = base_world()
    sizes = [] if args.measure_only else [args.first, args.cases]
    results = {}
    if args.measure_only:
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
            # the pages written by the vacuum (hint bits, visibility map) go to disk now, not while measuring
            cur.execute("CHECKPOINT")
        settle()
        n = Application.objects.count()
        page_list = [p for p in pages(staff, applicant, company) if chosen(p[0], args)]
        print(f"measuring {n} cases; load average {load()}")
        results[n] = measure(page_list, args.repeat)
        if args.results_json:
            Path(args.results_json).write_text(json.dumps(results[n]))
            return
    for size in sizes:
        t0 = time.perf_counter()
        written = seed(size, staff, applicant, company)
        took = time.perf_counter() - t0
        total = sum(written.values())
        print(
            f"seeded up to {size:,} cases in {took:.1f} s ({total:,} rows, {total / max(took, 0.001):,.0f} rows/s): "
            + ", ".join(f"{k} {v:,}" for k, v in written.items())
        )
        print(f"measuring at {size:,} cases in a fresh process; load average {load()}")
        results[size] = measure_in_child(args)
        print(f"load average after measuring: {load()}")
    report(results)


def report(results) -> None:
    sizes = sorted(results)
    if len(sizes) == 1:
        (size,) = sizes
        print(f"\n{'page kind':<22} {'queries':>7} {'p50 ms':>8} {'p95 ms':>8}   at {size:,} cases")
        for kind, (q, p50, p95) in results[size].items():
            print(f"{kind:<22} {q:>7} {p50:>8.1f} {p95:>8.1f}")
        return
    small, large = sizes[0], sizes[-1]
    a, b = results[small], results[large]
    head = f"{small // 1000}k / {large // 1000}k"
    print(
        f"\n{'page kind':<22} {'queries ' + head:>18} {'p50 ms ' + head:>20} {'p95 ms ' + head:>20} "
        f"{'p50 ratio':>9}  target"
    )
    missed = 0
    for kind in a:
        (qa, p50a, p95a), (qb, p50b, p95b) = a[kind], b[kind]
        ratio = p50b / p50a if p50a else float("inf")
        met = qa == qb and ratio <= TARGET_RATIO
        missed += not met
        print(
            f"{kind:<22} {f'{qa} / {qb}':>18} {f'{p50a:.1f} / {p50b:.1f}':>20} {f'{p95a:.1f} / {p95b:.1f}':>20} "
            f"{ratio:>8.2f}×  {'yes' if met else 'NO'}"
        )
    print(
        f"\ntarget (same queries, p50 within {TARGET_RATIO}× of {small:,}): "
        + ("met for every page kind" if not missed else f"missed for {missed} page kind(s)")
    )
    print(f"load average at the end: {load()}")


if __name__ == "__main__":
    main()
