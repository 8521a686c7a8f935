"""Two app hosts behind nginx, for real (issue 18 part 4): ``make test-cluster``.

scripts/cluster starts PostgreSQL, Redis, an S3 server, two gunicorn instances behind nginx
(deploy/nginx-cluster.conf) and two db_workers. This test, one more host on the same database and bucket:

1. a company's case is accepted (the services the pages call); a db_worker renders the acceptance notice into
   the bucket, and the company downloads it, byte for byte as its hash says, from each gunicorn directly and
   through nginx — the session, kept in the shared database, is the same on both hosts;
2. bounded traffic through nginx (pages and new applications from several threads); midway one gunicorn is
   killed (SIGKILL, master and workers). Every page request that starts after the kill succeeds (nginx sends
   it to the other host), and no form is applied twice: each application sent creates at most one draft,
   exactly one when its answer was the redirect, and a POST caught by the kill is answered 502, never retried.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import signal
import threading
import time
from io import BytesIO
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

pytestmark = pytest.mark.usefixtures("cluster_db")


def session_cookie(user) -> str:
    """A signed-in session in the shared database, as bench/load.py signs its clients in."""
    from bench.load import session_cookie as cookie

    return cookie(user)


APP_A, APP_B, NGINX = (os.environ.get(k, "") for k in ("CLUSTER_APP_A", "CLUSTER_APP_B", "CLUSTER_URL"))
PAGES = ("/", "/policies/", "/notices/", "/my/cases/", "/inbox/")


def pdf(title: str) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_metadata({"/Title": title})
    buffer = BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def get(base: str, path: str, cookie: str = "", timeout: float = 30) -> tuple[int, bytes]:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Cookie": cookie, "Host": "127.0.0.1"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def post(base: str, path: str, cookie: str, csrf: str, data: dict) -> int | str:
    from django.conf import settings

    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    headers = {
        "Cookie": f"{cookie}; {settings.CSRF_COOKIE_NAME}={csrf}",
        "X-CSRFToken": csrf,
        "Content-Type": "application/x-www-form-urlencoded",
        "Host": "127.0.0.1",
    }
    try:
        conn.request("POST", path, body=urlencode(data), headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException) as exc:
        return type(exc).__name__
    finally:
        conn.close()


@pytest.fixture
def demo():
    from django.contrib.auth import get_user_model

    from companies.models import Company
    from invest.management.commands.seed_demo import DEMO_COMPANY_CODE
    from policies.models import Round, SupportItem

    users = get_user_model().objects
    item = SupportItem.objects.get(code="JJ-FILM-01")
    return {
        "applicant": users.get(username="applicant"),
        "clerk": users.get(username="clerk"),
        "company": Company.objects.get(credit_code=DEMO_COMPANY_CODE),
        "item": item,
        "round": Round.objects.filter(policy=item.policy).order_by("-year").first(),
    }


def accepted_case(demo, title: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from applications import services

    facts = {"has_filing": True, "shooting_days_in_jiangjin": 32, "local_spend": "1200000"}
    case = services.create_draft(
        demo["applicant"],
        company=demo["company"],
        item=demo["item"],
        round=demo["round"],
        project_title=title,
        facts=facts,
    )
    for spec in demo["item"].materials:
        if spec.get("required", True):
            upload = SimpleUploadedFile(f"{spec['key']}.pdf", pdf(f"{title} {spec['key']}"))
            services.add_material(case, demo["applicant"], key=spec["key"], uploaded_file=upload)
    services.submit(case, demo["applicant"], pledge=True)
    services.perform(case, "accept", demo["clerk"])
    case.refresh_from_db()
    assert case.state == "accepted", case.state
    return case


def test_a_document_rendered_by_a_worker_downloads_intact_through_either_host(demo):
    from applications.documents.models import Document

    case = accepted_case(demo, "电影《双机房》")
    deadline = time.monotonic() + 60
    while True:  # the render task waits in the database queue for one of the two db_workers
        document = Document.objects.filter(application=case, kind="acceptance_notice").first()
        if document is not None and document.sha256 and document.file:
            break
        assert time.monotonic() < deadline, "no db_worker rendered the acceptance notice within 60 s"
        time.sleep(0.5)
    assert not Path(os.environ["FILE_STORE"]).exists(), "a host wrote the document to its local disk"

    cookie = session_cookie(demo["applicant"])
    for base in (APP_A, APP_B, NGINX):
        status, body = get(base, f"/documents/{document.pk}/download", cookie)
        assert status == 200, (base, status, body[:300])
        assert hashlib.sha256(body).hexdigest() == document.sha256, base


def _kill(pidfile: Path) -> None:
    master = int(pidfile.read_text().strip())
    children = [int(p) for p in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    for pid in (master, *children):
        os.kill(pid, signal.SIGKILL)


def test_killing_one_host_midway_loses_no_page_and_applies_no_form_twice(demo):
    from django.db.models import Count

    from applications.models import Application
    from bench.load import apply_form

    cookie = session_cookie(demo["applicant"])
    csrf = "k" * 32
    form = apply_form(demo["item"], demo["round"], demo["company"])
    lock = threading.Lock()
    pages: list[tuple[float, str, int | str]] = []  # (started, path, status)
    forms: dict[str, int | str] = {}  # project title -> status
    killed_at: list[float] = []
    stop = threading.Event()

    def browse(n: int) -> None:
        i = 0
        while not stop.is_set():
            path = PAGES[(n + i) % len(PAGES)]
            started = time.monotonic()
            try:
                status = get(NGINX, path, cookie)[0]
            except (OSError, http.client.HTTPException) as exc:
                status = type(exc).__name__
            with lock:
                pages.append((started, path, status))
            i += 1

    def apply(n: int) -> None:
        for i in range(8):
            title = f"电影《集群{n}-{i}》"
            status = post(NGINX, f"/my/apply/{demo['item'].code}/", cookie, csrf, {**form, "project_title": title})
            with lock:
                forms[title] = status
            time.sleep(0.2)

    threads = [threading.Thread(target=browse, args=(n,)) for n in range(4)]
    threads += [threading.Thread(target=apply, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    time.sleep(2)
    killed_at.append(time.monotonic())
    _kill(Path(os.environ["CLUSTER_DIR"]) / "gunicorn-a.pid")
    time.sleep(4)
    stop.set()
    for t in threads:
        t.join(timeout=120)

    after = [(path, status) for started, path, status in pages if started > killed_at[0]]
    assert len(after) >= 20, f"too little traffic after the kill to tell: {len(after)} requests"
    failed = [(path, status) for path, status in after if status != 200]
    assert not failed, f"{len(failed)} of {len(after)} page requests after the kill failed: {failed[:10]}"
    before = [status for started, _, status in pages if started <= killed_at[0]]
    assert before and all(status == 200 for status in before), before

    made = dict(
        Application.objects.filter(project_title__in=list(forms)).values_list("project_title").annotate(n=Count("id"))
    )
    twice = {title: n for title, n in made.items() if n > 1}
    assert not twice, f"applied more than once: {twice}"
    for title, status in forms.items():
        if status in (302, 303):
            assert made.get(title) == 1, (title, status, made.get(title))
        else:
            assert status == 502 or isinstance(status, str), (title, status)  # refused, never retried elsewhere
    assert sum(1 for s in forms.values() if s in (302, 303)) >= 8, forms
