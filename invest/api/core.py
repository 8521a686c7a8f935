"""The REST API's shared machinery that DRF's settings point at: permissions, pagination, throttling and the
one error format.

This module must not import rest_framework.views, generics or drf_spectacular.views: DRF reads these classes
from settings while it defines APIView, so importing a view module from here would be circular.

Errors are always `{"code": ..., "detail": ...}` (plus `fields` for 400), in the request's language
(LocaleMiddleware has already activated it from Accept-Language). A refused workflow transition becomes 403
with its reason, or 409 when the case changed under the caller. Anything a user may not see is a 404, the same
answer as for something that does not exist.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.fields import get_error_detail
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

from invest.audit import audit
from invest.roles import has_role

# --------------------------------------------------------------------------------------------------
# Permissions


def is_manager(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or has_role(user, "manager")))


class IsManager(BasePermission):
    message = _("只有管理员可以执行此操作。")

    def has_permission(self, request, view) -> bool:
        return is_manager(request.user)


# --------------------------------------------------------------------------------------------------
# Pagination and throttling


class Pagination(PageNumberPagination):
    """Every list is paged; clients may ask for up to 100 rows a page."""

    page_size_query_param = "page_size"
    max_page_size = 100
    max_page = 2**31 - 1
    invalid_page_message = _("没有这一页，请从第 1 页开始翻页。")

    def _integer_param(self, request, name: str, maximum: int) -> int | None:
        """One ASCII integer from 1 to maximum, or 400: the schema says so, and the code holds to it (a
        repeated, empty, "null", negative or too large value used to be quietly replaced by the default)."""
        values = request.query_params.getlist(name)
        if not values:
            return None
        value = values[0].strip()
        if len(values) != 1 or not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= maximum:
            raise exceptions.ValidationError(
                {
                    name: [
                        gettext("%(name)s 应为 1 到 %(maximum)d 之间的整数，且只能给出一次。")
                        % {"name": name, "maximum": maximum}
                    ]
                }
            )
        return int(value)

    def get_page_size(self, request):
        size = self._integer_param(request, self.page_size_query_param, self.max_page_size)
        return self.page_size if size is None else size

    def paginate_queryset(self, queryset, request, view=None):
        self._integer_param(request, self.page_query_param, self.max_page)
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page}
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
        return parameters


class _FreshRateMixin:
    """DRF binds THROTTLE_RATES when the class is defined; read them per request so settings (and tests) can
    change them without a restart of the import machinery."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request):
        # DRF's own get_ident believes any X-Forwarded-For when NUM_PROXIES is unset, so a client could start a
        # fresh count with every request; the client address comes from the trusted proxies only.
        from invest.security import client_ip

        return client_ip(request) or ""


class AnonThrottle(_FreshRateMixin, AnonRateThrottle):
    pass


class UserThrottle(_FreshRateMixin, UserRateThrottle):
    pass


class TokenThrottle(_FreshRateMixin, SimpleRateThrottle):
    """Password guessing through the token endpoint is throttled much harder than ordinary calls."""

    scope = "token"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


# --------------------------------------------------------------------------------------------------
# Errors


class ErrorSerializer(serializers.Serializer):
    """The one error shape of the API."""

    code = serializers.CharField(help_text="Machine-readable error code, e.g. not_found, invalid, not_your_role.")
    detail = serializers.CharField(help_text="What went wrong and what to do, in the request's language.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="For 400: the messages for each invalid field (nested fields as dotted paths).",
    )


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("该案件已被他人处理，状态已变化。请刷新后重新操作。")
    default_code = "changed_under_you"


class ServiceUnavailable(exceptions.APIException):
    """A service this request needs is down for now (the virus scanner): 503, try again later."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("服务暂不可用，请稍后再试。")
    default_code = "unavailable"


class InputRefused(exceptions.ValidationError):
    """A service refused the caller's input: 400 with the service's own code, the reason on the field."""

    def __init__(self, code: str, reason: str, field: str | None) -> None:
        super().__init__({field or api_settings.NON_FIELD_ERRORS_KEY: [reason]}, code=code)
        self.refusal_code = code
        self.reason = reason


# TransitionRefused codes that are about the caller's input rather than a refusal of the action itself,
# with the request field each one is about.
INPUT_REFUSAL_FIELDS: dict[str, str | None] = {
    "invalid_amount": "amount",
    "comment_required": "comment",
    "items_required": "items",
    "unknown_item": "items",
    "invalid_deadline": "deadline",
    "voucher_required": "voucher_number",
    "duplicate_voucher": "voucher_number",
    "name_required": "name",
    "invalid_opinion": "opinion",
    "invalid_score": "score",
    "title_required": "project_title",
    "invalid_file": "file",
    "unknown_material": "key",
    "wrong_round": "round",
    "not_an_expert": "experts",
    "invalid_input": None,
}
# Refusals that mean "there is no such thing (for you)".
NOT_FOUND_REFUSAL_CODES = {"not_found", "unknown_transition"}
# Refusals that mean "not now, through no fault of yours": 503 (clamd configured but not answering).
UNAVAILABLE_REFUSAL_CODES = {"scanner_unavailable"}


def _flatten_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """{"facts": {"box_office": ["…"]}} → {"facts.box_office": ["…"]}; a bare list becomes non_field_errors."""
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.update(_flatten_errors(value, name))
        return out
    if isinstance(detail, list):
        if detail and all(not isinstance(item, (dict, list)) for item in detail):
            return {prefix or api_settings.NON_FIELD_ERRORS_KEY: [str(item) for item in detail]}
        out = {}
        for index, item in enumerate(detail):
            if item:
                out.update(_flatten_errors(item, f"{prefix}.{index}" if prefix else str(index)))
        return out
    return {prefix or api_settings.NON_FIELD_ERRORS_KEY: [str(detail)]}


def _transition_refused_class():
    try:
        from applications.services import TransitionRefused
    except ImportError:  # the workflow app is not there yet
        return None
    return TransitionRefused


def _as_api_exception(exc: Exception) -> exceptions.APIException | None:
    refused = _transition_refused_class()
    if refused is not None and isinstance(exc, refused):
        code = getattr(exc, "code", "") or "refused"
        reason = str(getattr(exc, "reason", "") or exc)
        if code == "changed_under_you":
            return Conflict(reason, code=code)
        if code in NOT_FOUND_REFUSAL_CODES:
            return exceptions.NotFound(reason, code=code)
        if code in UNAVAILABLE_REFUSAL_CODES:
            return ServiceUnavailable(reason, code=code)
        if code in INPUT_REFUSAL_FIELDS:
            return InputRefused(code, reason, INPUT_REFUSAL_FIELDS[code])
        return exceptions.PermissionDenied(reason, code=code)
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(get_error_detail(exc))
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, exceptions.APIException):
        return exc
    if isinstance(exc, ValueError) and "NUL (0x00)" in str(exc):
        # PostgreSQL cannot compare with a text holding NUL; a query parameter or path that has one is bad input.
        return exceptions.ValidationError(
            {api_settings.NON_FIELD_ERRORS_KEY: [gettext("请求中含有空字符（\\0），请删除后重试。")]}
        )
    return None


def _first_code(codes: Any, default: str) -> str:
    if isinstance(codes, str):
        return codes
    if isinstance(codes, list) and codes:
        return _first_code(codes[0], default)
    if isinstance(codes, dict) and codes:
        return _first_code(next(iter(codes.values())), default)
    return default


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every expected error as {"code", "detail"[, "fields"]}. Unexpected exceptions
    return None so they surface as the server errors (and bugs) they are."""
    api_exc = _as_api_exception(exc)
    if api_exc is None:
        return None
    headers = {}
    if getattr(api_exc, "auth_header", None):
        headers["WWW-Authenticate"] = api_exc.auth_header
    if getattr(api_exc, "wait", None):
        headers["Retry-After"] = f"{int(api_exc.wait)}"

    if isinstance(api_exc, exceptions.ValidationError):
        fields = _flatten_errors(api_exc.detail)
        if isinstance(api_exc, InputRefused):
            code, detail = api_exc.refusal_code, api_exc.reason
        else:
            code = "invalid"
            non_field = fields.get(api_settings.NON_FIELD_ERRORS_KEY)
            if non_field and len(fields) == 1:
                detail = non_field[0]
            else:
                detail = gettext("提交的数据有误，请按各字段的提示修改后重试。")
        data = {"code": code, "detail": detail, "fields": fields}
    elif isinstance(api_exc, exceptions.Throttled):
        data = {
            "code": "throttled",
            "detail": gettext("请求过于频繁，请在 %(seconds)d 秒后重试。") % {"seconds": int(api_exc.wait or 1)},
        }
    elif isinstance(api_exc, exceptions.NotFound):
        # One answer for "does not exist" and "you may not see it": never reveal which.
        data = {"code": "not_found", "detail": gettext("找不到该资源，或您无权查看。请检查地址或编号。")}
        if api_exc.detail and api_exc.get_codes() not in ("not_found",):
            data["detail"] = str(api_exc.detail)
    else:
        detail = api_exc.detail
        if isinstance(detail, (list, dict)):
            detail = next(iter(_flatten_errors(detail).values()))[0]
        data = {"code": _first_code(api_exc.get_codes(), "error"), "detail": str(detail)}
    return Response(data, status=api_exc.status_code, headers=headers)


MAX_ID = 2**63 - 1


def row_id(value: str) -> int | None:
    """A row's id as sent in a form or a query: ASCII digits within the database's integer range, no blanks
    and no 0; None for anything else ("²".isdigit() is true, and 30 nines overflow the column)."""
    value = str(value)
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= MAX_ID:
        return None
    return int(value)


def id_param(value: str, field: str) -> int:
    """A query parameter that names a row by id (row_id, exactly what the schema says), else 400."""
    number = row_id(value)
    if number is None:
        raise exceptions.ValidationError({field: [gettext("%(field)s 应为编号（正整数）。") % {"field": field}]})
    return number


@csrf_exempt  # it changes nothing, and a POST to a wrong URL must get this JSON 404 rather than a CSRF page
def api_not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    """Unmatched URLs under /api/ answer in the API's error format, not with the portal's HTML page."""
    return JsonResponse(
        {"code": "not_found", "detail": gettext("找不到该资源，或您无权查看。请检查地址或编号。")}, status=404
    )


# --------------------------------------------------------------------------------------------------
# Tokens


@transaction.atomic
def revoke_token(user, *, actor, reason: str = "") -> bool:
    """Delete a user's API token so every client using it is locked out at once. True if there was one."""
    deleted, _details = Token.objects.filter(user=user).delete()
    if deleted:
        audit(actor, "api_token_revoked", user, reason=reason, role="manager" if actor != user else "")
    return bool(deleted)
