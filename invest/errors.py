"""Answers for what went wrong on the server's side, in the person's language, never with a stack trace.

* ``BadQueryMiddleware``: a query parameter holding a NUL character (PostgreSQL cannot compare text with
  one, so the query would fail with a 500) is refused before any view runs: 400 in the API's error shape
  ``{code, detail, fields}`` under ``/api/``, a page elsewhere.
* ``server_error`` (``handler500``): whatever no view handled. It looks at the exception being handled:
  a database that cannot be reached (``OperationalError``/``InterfaceError``) answers 503 "try again";
  a file store that cannot be written (``FileStoreUnavailable``) answers 503 saying the file was not
  saved; anything else 500. JSON under ``/api/``, otherwise a page rendered *without* a request context,
  context processors, database or static-file manifest, since any of those may be what failed.
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import get_language
from django.utils.translation import gettext as _


class FileStoreUnavailable(OSError):
    """The file store refused a write (full disk, read-only mount, permissions, network share gone)."""


API_PREFIX = "/api/"


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def nul_message() -> str:
    return _("请求中含有空字符（\\0），请删除后重试。")


class BadQueryMiddleware:
    """Refuse query parameters that no database can compare with: a NUL character in a name or value."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "%00" in query or "\x00" in query:
            fields = {
                (key.replace("\x00", "\\0") or "non_field_errors"): [nul_message()]
                for key, values in request.GET.lists()
                if "\x00" in key or any("\x00" in value for value in values)
            }
            if fields or "\x00" in request.path:
                return bad_request(request, nul_message(), fields or {"non_field_errors": [nul_message()]})
        return self.get_response(request)


def bad_request(request: HttpRequest, reason: str, fields: dict[str, list[str]]) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"code": "invalid", "detail": reason, "fields": fields}, status=400)
    return render(request, "400.html", {"reason": reason}, status=400)


def _stylesheets() -> list[str]:
    from django.templatetags.static import static

    try:
        return [static("css/site.css"), static("css/portal.css")]
    except Exception:  # noqa: BLE001 - a missing manifest entry must not turn the error page into another error
        from django.conf import settings

        prefix = getattr(settings, "STATIC_URL", "/static/") or "/static/"
        return [f"{prefix}css/site.css", f"{prefix}css/portal.css"]


def _standalone(template: str, status: int, context: dict) -> HttpResponse:
    language = get_language() or "zh-hans"
    context = {
        "stylesheets": _stylesheets(),
        "html_lang": "zh-CN" if language.startswith("zh") else language,
        **context,
    }
    try:
        body = loader.get_template(template).render(context)
    except Exception:  # noqa: BLE001 - last resort: still a Chinese answer, never a trace
        body = f"<!doctype html><html lang='zh-CN'><meta charset='utf-8'><title>{status}</title><h1>{context['title']}</h1><p>{context['reason']}</p></html>"
    return HttpResponse(body, status=status, content_type="text/html; charset=utf-8")


def _answer(request: HttpRequest, status: int, code: str, title: str, reason: str) -> HttpResponse:
    if _is_api(request):
        response = JsonResponse({"code": code, "detail": reason}, status=status)
    else:
        response = _standalone(f"{status}.html", status, {"title": title, "reason": reason})
    if status == 503:
        response["Retry-After"] = "60"
    response["Cache-Control"] = "no-store"
    return response


def server_error(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """handler500: the exception being handled decides between 503 (try again) and 500."""
    exc = sys.exc_info()[1]
    if isinstance(exc, (OperationalError, InterfaceError)):
        return _answer(
            request,
            503,
            "database_unavailable",
            _("服务暂时不可用，请稍后再试"),
            _("系统的数据库暂时无法连接，您的操作没有完成，也没有保存。请过几分钟后重试。"),
        )
    if isinstance(exc, FileStoreUnavailable):
        return _answer(
            request,
            503,
            "file_store_unavailable",
            _("文件暂时无法保存，请稍后再试"),
            _("文件存储暂时无法写入，您上传的文件没有保存。请稍后重新上传；如多次失败，请联系受理窗口。"),
        )
    return _answer(
        request,
        500,
        "server_error",
        _("系统出现错误，请稍后再试"),
        _("服务器在处理请求时出错，错误已记录。请稍后重试；如多次出现，请联系平台管理员并告知出错的时间。"),
    )
