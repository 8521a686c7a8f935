"""Benchmark: rendering approval decisions, and 1,000 documents through the task queue.

    .venv/bin/python bench/documents.py [N]                  # N approval decisions (default 200)
    .venv/bin/python bench/documents.py 200 --queue 1000     # also: 1,000 documents, two db_worker processes
    scripts/with-postgres .venv/bin/python bench/documents.py 200 --queue 1000

Each of the N decisions has its own company, credit code, amount and number. For each one the run measures
our renderer (template + QR code with the fast mask choice + WeasyPrint with the cut Noto Serif CJK SC faces,
a shared font configuration and print style, the local-only URL fetcher and the level-6 font deflate) and, on
the identical HTML (QR code already made, cut fonts in its style), a plain
``weasyprint.HTML(string=html).write_pdf()`` with default settings; and, on a quarter of them, plain
WeasyPrint on the same page set in the full system Noto Serif CJK SC (no cut fonts: what a straightforward
template would do). Seconds are wall-clock medians on a 2-core machine shared with other developers, with
this process's CPU time beside them; the load average is printed at the start and at the end.

--queue M issues M documents (numbered, each in its own transaction) into a fresh throw-away database
(a temporary SQLite file, or DATABASE_URL), enqueues their rendering on the django-tasks database backend,
starts two ``manage.py db_worker --batch`` processes and reports the time until both have emptied the queue.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(file_store: Path) -> None:
    if not os.environ.get("DATABASE_URL"):
        path = Path(tempfile.mkdtemp(prefix="jj-bench-docs-")) / "bench.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ["FILE_STORE"] = str(file_store)
    os.environ["TASKS_BACKEND"] = "django_tasks_db.DatabaseBackend"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "invest.settings")
    import django

    django.setup()


def decisions(n: int, seed: int = 2026) -> list[dict]:
    from applications.documents.samples import sample_context

    rnd = random.Random(seed)
    out = []
    for i in range(n):
        amount = Decimal(rnd.randrange(5_000_000, 200_000_000)) / 100
        context = sample_context("approval_decision", index=i + 1, amount=amount)
        context["company_name"] = (
            f"重庆{rnd.choice(['江津', '白沙', '几江', '德感', '双福'])}影视文化传媒有限公司{i + 1}"
        )
        out.append(context)
    return out


def bench_render(n: int) -> None:
    from weasyprint import HTML

    from applications.documents import rendering
    from applications.documents.fonts import font_face_css
    from applications.documents.models import new_verification_code

    contexts = decisions(n)
    today = dt.date(2026, 11, 26)
    font_face_css()  # cut the fonts before timing (once per machine)
    rendering.render_pdf(
        kind="approval_decision", context=contexts[0], number="江津影扶〔2026〕0号", code="W" * 16, issued_on=today
    )  # warm-up: first fontconfig scan
    ours, ours_cpu, ours_size, plain, plain_size, system, system_size = [], [], [], [], [], [], []
    for i, context in enumerate(contexts):
        args = {
            "kind": "approval_decision",
            "context": context,
            "number": f"江津影扶〔2026〕{i + 1}号",
            "code": new_verification_code(),
            "issued_on": today,
        }
        start, cpu = time.perf_counter(), time.process_time()
        pdf = rendering.render_pdf(**args)
        ours.append(time.perf_counter() - start)
        ours_cpu.append(time.process_time() - cpu)
        ours_size.append(len(pdf))
        html = rendering.standalone_html(rendering.render_html(**args))
        start = time.perf_counter()
        pdf = HTML(string=html).write_pdf()
        plain.append(time.perf_counter() - start)
        plain_size.append(len(pdf))
        if i % 4 == 0:
            html_system = html.replace(font_face_css(), "")
            start = time.perf_counter()
            pdf = HTML(string=html_system).write_pdf()
            system.append(time.perf_counter() - start)
            system_size.append(len(pdf))

    def line(label, times, sizes):
        return (
            f"  {label:<52} median {statistics.median(times):.3f} s/doc  p90 {sorted(times)[int(len(times) * 0.9)]:.3f} s"
            f"  PDF median {statistics.median(sizes) / 1024:.1f} KB (max {max(sizes) / 1024:.1f} KB)  n={len(times)}"
        )

    print(f"approval decisions, one A4 page each, {n} companies and amounts")
    print(line("ours (cut fonts, shared font config, local fetcher)", ours, ours_size))
    print(
        f"  {'ours, CPU time of this process (less sensitive to other load)':<52} median {statistics.median(ours_cpu):.3f} s/doc"
    )
    print(line("plain WeasyPrint, same HTML, default settings", plain, plain_size))
    print(line("plain WeasyPrint, full system Noto Serif CJK SC", system, system_size))
    print(
        f"  ratio plain/ours {statistics.median(plain) / statistics.median(ours):.2f}x time;"
        f" system-font/ours {statistics.median(system) / statistics.median(ours):.2f}x time,"
        f" {statistics.median(system_size) / statistics.median(ours_size):.2f}x size"
    )
    target_ok = statistics.median(ours) <= 0.10 and max(ours_size) <= 150 * 1024
    print(f"  targets (median <= 0.10 s, PDF <= 150 KB): {'met' if target_ok else 'NOT met'}")


def bench_queue(m: int, workers: int) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    from applications.documents.models import Document
    from applications.documents.samples import sample_context
    from applications.documents.services import issue_document
    from applications.documents.tasks import render_document_task

    call_command("migrate", verbosity=0, interactive=False)
    start = time.perf_counter()
    for i, context in enumerate(decisions(m, seed=7)):
        kind = "approval_decision" if i % 2 == 0 else "acceptance_notice"
        if kind != "approval_decision":
            context = sample_context(kind, index=i + 1)
        with transaction.atomic():
            document = issue_document(kind, context=context, render_after_commit=False)
        render_document_task.enqueue(document.pk)
    issued = time.perf_counter() - start
    connection.close()
    env = {**os.environ}
    start = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay", "--no-reload", "-v", "0"],
            cwd=ROOT,
            env=env,
        )
        for _ in range(workers)
    ]
    codes = [p.wait() for p in procs]
    elapsed = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    worker_cpu = usage.ru_utime + usage.ru_stime
    rendered = Document.objects.exclude(sha256="").count()
    numbers = Document.objects.values("number").distinct().count()
    print(f"task queue on {connection.vendor}: {m} documents (half decisions, half acceptance notices)")
    print(f"  issuing + enqueueing: {issued:.1f} s ({m / issued:.0f}/s)")
    print(
        f"  {workers} db_worker processes: {elapsed:.1f} s for {rendered}/{m} rendered"
        f" ({elapsed / max(rendered, 1):.3f} s/doc, exit codes {codes}); distinct numbers {numbers}"
    )
    print(
        f"  CPU time of the workers (user+sys, incl. start-up): {worker_cpu:.1f} s = {worker_cpu / max(rendered, 1):.3f} s/doc;"
        f" on {workers} otherwise idle cores that is about {worker_cpu / workers:.0f} s"
    )
    if m >= 1000:
        print(f"  target (1,000 in < 180 s): {'met' if elapsed < 180 and rendered == m else 'NOT met'}")
    else:
        print(f"  projected for 1,000 at this rate: {elapsed / max(rendered, 1) * 1000:.0f} s (target < 180 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", nargs="?", type=int, default=200)
    parser.add_argument("--queue", type=int, default=0, help="also push this many documents through the queue")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    file_store = Path(tempfile.mkdtemp(prefix="jj-bench-files-"))
    setup_django(file_store)
    print(f"machine: {os.cpu_count()} cores, shared with other developers; load {os.getloadavg()[0]:.1f}")
    if args.n:
        bench_render(args.n)
    if args.queue:
        bench_queue(args.queue, args.workers)
    print(f"load at the end: {' '.join(f'{value:.1f}' for value in os.getloadavg())} (1, 5, 15 min)")


if __name__ == "__main__":
    main()
