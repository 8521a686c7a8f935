"""Print the workflow table: `--json` for programs, `--mermaid` for docs/workflow.md."""

import json

from django.core.management.base import BaseCommand

from applications import workflow


class Command(BaseCommand):
    help = "Print the review workflow declared in applications/workflow.py (--json or --mermaid)."

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--json", action="store_true", help="states (labels in both languages), transitions")
        group.add_argument("--mermaid", action="store_true", help="a mermaid stateDiagram of the table")

    def handle(self, *args, **options):
        if options["mermaid"]:
            self.stdout.write(workflow.as_mermaid(), ending="")
        else:
            self.stdout.write(json.dumps(workflow.as_dict(), ensure_ascii=False, indent=2))
