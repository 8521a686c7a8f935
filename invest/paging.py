"""Paging a list that may hold a million rows: the count reads at most ``COUNT_CAP`` + 1 rows.

Django's Paginator counts every matching row (``SELECT COUNT(*)``) on every page view, and its last pages
are an ``OFFSET`` as deep as the table. ``CappedPaginator`` counts with ``LIMIT COUNT_CAP + 1`` instead: below
the cap the count is exact, as before; above it the list offers its first ``COUNT_CAP`` rows (the pages up to
there; narrowing the filter finds the rest) and the page says how many there are about, from PostgreSQL's
planner estimate (``EXPLAIN``, planning only, no rows read). SQLite has no estimate: the page says "more than
10,000". So a page view reads at most the cap's rows to count, and no ``OFFSET`` goes deeper than the cap.

A page of a queryset is read in two steps: the page's ids first (the filter and the sort alone, which an index
on the sort's columns answers in order or index-only, without reading the wide rows of every matching case),
then those rows by id with everything the queryset joins and prefetches. Sorting a few thousand ids is cheap;
sorting a few thousand whole cases (their facts and snapshots) is not.

On PostgreSQL the estimate is asked for on every count, used or not, so that a page costs the same number of
queries whether its list is below the cap or above it.

A list over several values of an index's leading column (the reviewer's queue: two stages, sorted by deadline)
can be given as ``parts``, one queryset per value. The database can read each part's index in the list's
order but not the two at once: asked for ``state IN (a, b) ORDER BY due_date``, it reads and sorts every
matching entry (25,000 waiting cases at a million, 350 ms), however short the page. With parts the page's ids
are one query, ``(… WHERE state = a ORDER BY … LIMIT top) UNION ALL (… state = b …) ORDER BY … LIMIT 50
OFFSET bottom``: each part stops after the page's last row, and PostgreSQL merges the parts in order (Merge
Append). Where the database cannot order and limit inside a UNION (SQLite), the list is read whole as before.
"""

from __future__ import annotations

import json

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connections
from django.db.models.query import EmptyQuerySet
from django.utils.functional import cached_property

#: Rows a list counts exactly; beyond them it shows an estimate and its first COUNT_CAP rows.
COUNT_CAP = 10_000


def planner_estimate(queryset) -> int | None:
    """PostgreSQL's estimate of the rows the queryset matches (None on other databases or if it fails)."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    try:
        sql, params = queryset.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:  # .none(), or a filter that can match nothing: no query at all
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    try:
        return int(plan[0]["Plan"]["Plan Rows"])
    except (KeyError, IndexError, TypeError, ValueError):
        return None


class CappedPaginator(Paginator):
    """A Paginator whose count stops at ``cap``: ``capped`` says whether there are more rows than that, and
    ``estimate`` how many there are about (PostgreSQL) or None."""

    def __init__(self, object_list, per_page, *, cap: int | None = None, parts=None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = COUNT_CAP if cap is None else cap
        #: disjoint querysets whose union is object_list, each ordered as it is (see the module's text)
        self.parts = list(parts or ())
        self.capped = False
        self.estimate: int | None = None

    @cached_property
    def count(self) -> int:
        rows = self.object_list
        if not hasattr(rows, "query"):  # a list: its length is known
            return len(rows)
        self.estimate = planner_estimate(rows)
        found = rows.order_by()[: self.cap + 1].count()
        self.capped = found > self.cap
        if not self.capped:
            self.estimate = None
            return found
        if self.estimate is not None:
            self.estimate = max(self.estimate, found)  # the planner may guess low; never below what was counted
        return self.cap

    def page(self, number):
        rows = self.object_list
        if not hasattr(rows, "query"):
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = self._page_ids(rows, bottom, top)
        found = {obj.pk: obj for obj in rows.order_by().filter(pk__in=ids)}
        return self._get_page([found[pk] for pk in ids if pk in found], number, self)

    def _page_ids(self, rows, bottom: int, top: int) -> list:
        parts = [part for part in self.parts if not isinstance(part, EmptyQuerySet)]
        order = rows.query.order_by
        # merged by the list's own field ordering only: without one (or by an expression) the parts would
        # come back in no defined order
        by_fields = bool(order) and all(isinstance(name, str) for name in order)
        if (
            len(parts) > 1
            and by_fields
            and top > bottom
            and connections[rows.db].features.supports_slicing_ordering_in_compound
        ):
            names = [name.lstrip("-") for name in order]
            first, *others = [part.values_list("pk", *names).order_by(*order)[:top] for part in parts]
            merged = first.union(*others, all=True).order_by(*order)[bottom:top]
            return [row[0] for row in merged]
        return [row[0] for row in rows.values_list("pk", *_order_names(rows))[bottom:top]]


def _order_names(queryset) -> list[str]:
    """The ordering's field names, selected beside the id so that a DISTINCT query may sort by them."""
    if not queryset.query.distinct:
        return []
    return [name.lstrip("-") for name in queryset.query.order_by if isinstance(name, str)]
