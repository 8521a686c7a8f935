"""The inbox (站内通知): every signed-in user's notices, newest first, each leading to its case or page.

Thin views over ``invest.notify``: only the recipient sees or marks an entry (anyone else gets 404, as if it
did not exist); opening an entry marks it read and follows its link; "全部标为已读" is a POST.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from applications.models import Notification
from companies.selectors import member_company_ids
from invest import notify

PAGE_SIZE = 20


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    only_unread = request.GET.get("unread") == "1"
    rows = Notification.objects.filter(recipient=request.user).select_related("application")
    if only_unread:
        rows = rows.filter(read_at__isnull=True)
    page = Paginator(rows.order_by("-created_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    company_ids = member_company_ids(request.user)
    entries = [(n, notify.link_for(n, company_ids)) for n in page.object_list]
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "inbox/inbox.html",
        {"page": page, "page_query": params.urlencode(), "entries": entries, "only_unread": only_unread},
    )


@login_required
@require_GET
def open_entry(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(Notification.objects.select_related("application"), pk=pk, recipient=request.user)
    notify.mark_read(request.user, entry)
    link = notify.link_for(entry)
    if link and url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host(), *_site_hosts()}):
        return redirect(link)
    return redirect(f"{_inbox_url()}#n{entry.pk}")


@login_required
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    count = notify.mark_all_read(request.user)
    if count:
        messages.success(request, _("已将 %(count)d 条通知标为已读。") % {"count": count})
    else:
        messages.info(request, _("没有未读通知。"))
    return redirect(_inbox_url())


def _inbox_url() -> str:
    from django.urls import reverse

    return reverse("inbox:list")


def _site_hosts() -> set[str]:
    from urllib.parse import urlsplit

    from django.conf import settings

    host = urlsplit(settings.SITE_URL).netloc
    return {host} if host else set()
