"""OpenAPI generation: every operation documents the error responses it can give, in the one error shape."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse

from .core import ErrorSerializer


class AutoSchema(SpectacularAutoSchema):
    """Documents the error responses every operation can give, so clients (and schemathesis) know them."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        errors = {
            "400": _("输入有误：按 fields 中各字段的提示修改。"),
            "401": _("未登录或令牌无效。"),
            "403": _("无权执行此操作，detail 说明原因。"),
            "404": _("不存在，或您无权查看。"),
            "429": _("请求过于频繁，请稍后重试。"),
        }
        if self.method in ("POST", "PUT", "PATCH"):
            errors["415"] = _("不支持的请求格式。")
        for status_code, description in errors.items():
            if status_code not in responses:
                responses[status_code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=str(description)), status_code
                )
        return responses
