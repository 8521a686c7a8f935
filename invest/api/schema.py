"""OpenAPI generation: every operation documents the error responses it can give, in the one error shape."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from .core import MAX_ID, ErrorSerializer

#: Query parameters that name a row by id (read with invest.api.core.id_param).
ID_PARAMS = frozenset({"round", "policy"})


class AutoSchema(SpectacularAutoSchema):
    """Documents the error responses every operation can give, so clients (and schemathesis) know them, and
    says of each field what the code enforces (issue 14 item 8): a required text may not be blank (DRF trims
    white space and refuses an empty string), a money amount that may not be negative has no minus sign."""

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        for parameter in (operation or {}).get("parameters", []):
            schema = parameter.get("schema", {})
            if parameter.get("in") == "query" and schema.get("type") == "integer" and parameter["name"] in ID_PARAMS:
                # invest.api.core.id_param: ASCII digits naming a row, from 1 to the database's integer range.
                schema.update({"minimum": 1, "maximum": MAX_ID})
            if parameter.get("in") == "query" and parameter["name"] == "stage":
                from applications.workflow import STATE_KEYS

                keys = "|".join(STATE_KEYS)
                schema["pattern"] = rf"^({keys})(,({keys}))*$"
        return operation

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if direction != "request" or not isinstance(schema, dict):
            return schema
        if isinstance(field, serializers.CharField) and not isinstance(field, serializers.RegexField):
            if not field.allow_blank and schema.get("type") == "string" and "pattern" not in schema:
                schema["pattern"] = r"\S"
                schema.setdefault("minLength", 1)
        if isinstance(field, serializers.DecimalField) and schema.get("format") == "decimal" and "pattern" in schema:
            whole = field.max_whole_digits
            places = field.decimal_places
            sign = "" if field.min_value is not None and field.min_value >= 0 else "-?"
            schema["pattern"] = rf"^{sign}(?:\d{{1,{whole}}}(?:\.\d{{0,{places}}})?|\.\d{{1,{places}}})$"
        return schema

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        errors = {
            "400": _("输入有误：按 fields 中各字段的提示修改。"),
            "401": _("未登录或令牌无效。"),
            "403": _("无权执行此操作，detail 说明原因。"),
            "404": _("不存在，或您无权查看。"),
            "414": _("地址过长（查询参数过多或过长）：缩短后重试。"),
            "429": _("请求过于频繁，请稍后重试。"),
            "503": _("服务暂时不可用（数据库或文件存储），请稍后重试。"),
        }
        if self.method in ("POST", "PUT", "PATCH"):
            errors["415"] = _("不支持的请求格式。")
        for status_code, description in errors.items():
            if status_code not in responses:
                responses[status_code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=str(description)), status_code
                )
        return responses
