"""A task that only writes a file, for worker tests that need a task without the rest of the project's tables."""

from pathlib import Path

from django_tasks import task


@task()
def touch(path: str) -> None:
    Path(path).write_text("done")
