"""Print a workflow table: `--json` for programs, `--mermaid` for docs/workflow.md; `--leads` for the lead pipeline."""

import json

from django.core.management.base import BaseCommand

from applications import workflow
from companies.investment import workflow as lead_workflow


class Command(BaseCommand):
    help = (
        "Print the review workflow declared in applications/workflow.py (--json or --mermaid); with --leads, "
        "the lead pipeline declared in companies/investment/workflow.py."
    )

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--json", action="store_true", help="states (labels in both languages), transitions")
        group.add_argument("--mermaid", action="store_true", help="a mermaid stateDiagram of the table")
        parser.add_argument("--leads", action="store_true", help="the investment leads' table instead of the cases'")

    def handle(self, *args, **options):
        if options["leads"]:
            mermaid, described = lead_workflow.TABLE.as_mermaid, lead_workflow.TABLE.describe
        else:
            mermaid, described = workflow.as_mermaid, workflow.as_dict
        if options["mermaid"]:
            self.stdout.write(mermaid(), ending="")
        else:
            self.stdout.write(json.dumps(described(), ensure_ascii=False, indent=2))
