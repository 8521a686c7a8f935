"""Signals other areas build on (documents, API, portal).

Both are sent INSIDE the database transaction of the change, so a receiver that writes (the documents app
issuing a numbered document) commits or rolls back together with the transition. Work that must not run
for a rolled-back change (rendering a PDF, sending mail) belongs in ``transaction.on_commit``.
"""

from django.dispatch import Signal

#: Sent after each transition with kwargs: application, transition (key), source, target, actor (a user, or
#: None for automatic and anonymous public transitions), comment, document_kind (str or None, from the
#: workflow table).
case_transitioned = Signal()

#: Sent when a batch of cases goes into public notice, with kwargs: batch (NoticeBatch), actor.
notice_batch_started = Signal()
