"""Background steps of the office's company import page (companies.io.jobs)."""

from __future__ import annotations

from django_tasks import task


@task()
def check_import_task(job_id: int) -> None:
    from .io.jobs import check

    check(job_id)


@task()
def apply_import_task(job_id: int) -> None:
    from .io.jobs import apply

    apply(job_id)
