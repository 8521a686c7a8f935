"""API endpoints of the project itself: API tokens, and the schema readers (Swagger UI, ReDoc)."""

from __future__ import annotations

import threading

from django.contrib.auth import authenticate, get_user_model
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework import exceptions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .core import IsManager, TokenThrottle, revoke_token


class ObtainTokenSerializer(serializers.Serializer):
    username = serializers.CharField(label=_("用户名"), max_length=150)
    password = serializers.CharField(label=_("密码"), max_length=4096, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


class TokenView(APIView):
    """Exchange a username and password for the user's API token; DELETE revokes the caller's own token."""

    throttle_classes = [TokenThrottle]

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "POST" else [IsAuthenticated()]

    @extend_schema(
        operation_id="auth_token_create",
        request=ObtainTokenSerializer,
        responses={200: TokenSerializer},
        tags=["auth"],
        auth=[],
    )
    def post(self, request: Request) -> Response:
        form = ObtainTokenSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        user = authenticate(request._request, **form.validated_data)
        if user is None or not user.is_active:
            raise exceptions.AuthenticationFailed(gettext("用户名或密码不正确，请重新输入。"), code="invalid_login")
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

    @extend_schema(operation_id="auth_token_destroy", responses={204: None}, tags=["auth"])
    def delete(self, request: Request) -> Response:
        revoke_token(request.user, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserTokenView(APIView):
    """A manager revokes the API token of any user (a leaver, a leaked key)."""

    permission_classes = [IsManager]

    @extend_schema(operation_id="users_token_destroy", responses={204: None}, tags=["auth"])
    def delete(self, request: Request, user_id: int) -> Response:
        user = get_user_model().objects.filter(pk=user_id).first()
        if user is None:
            raise exceptions.NotFound()
        revoke_token(user, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# Both readers style their pages from JavaScript (style attributes, injected <style> elements), which the
# site-wide Content-Security-Policy forbids. Scripts stay limited to this server's own files.
DOCS_CSP = {"style-src": ["'unsafe-inline'"], "worker-src": ["'self'", "blob:"]}


class SwaggerView(SpectacularSwaggerSplitView):
    """Swagger UI from local static files; the init script is a separate URL, so no inline script is needed."""

    url_name = "api-schema"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response._csp_update = DOCS_CSP
        return response


class RedocView(SpectacularRedocView):
    """ReDoc from local static files, without the stock template's web-font links."""

    url_name = "api-schema"
    template_name = "api/redoc.html"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response._csp_update = DOCS_CSP
        return response


class SchemaView(SpectacularAPIView):
    """/api/schema/, generated one request at a time per process.

    Generation is not thread-safe: DRF keeps the view being inspected on the schema object each view class
    shares (ViewInspector.__get__), and a second generation in another thread can clear it under the first,
    which then fails with "Schema generation REQUIRES a view instance" (a 500, seen when the two schemathesis
    runs of tests/api/test_schemathesis.py loaded the schema at the same moment from the threaded test server).
    """

    _generating = threading.Lock()

    def _get_schema_response(self, request):
        with self._generating:
            return super()._get_schema_response(request)
