"""Login throttling: the authentication backend in front of the others.

django-axes counts failed logins per (user name, client address) and, after AXES_FAILURE_LIMIT failures,
refuses further attempts for AXES_COOLOFF_TIME with the Chinese page templates/security/lockout.html
(HTTP 429). Counting per user *and* address means nobody can lock a reviewer out on deadline day from
elsewhere simply by typing the reviewer's user name wrongly five times.
"""

from __future__ import annotations

import ipaddress
import math
from functools import lru_cache
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off, get_failure_limit
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _


class AxesBackend(AxesStandaloneBackend):
    """Axes' lockout check, also usable by authenticate() calls that have no HTTP request.

    Every login that can arrive over HTTP (the login page, the admin login, the API token endpoint) passes
    the request and is throttled; tests/security/test_authentication.py shows it for each. A call without a
    request (the test client's ``login()``, a shell) has no client address to count against, and stock
    axes would raise there; this backend lets the next backend decide instead.
    """

    def authenticate(self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "203.0.113.5:51234"
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The address of the client, for the login lockout (AXES_CLIENT_IP_CALLABLE) and the API throttles.

    Behind nginx every request comes from 127.0.0.1, and counting failures per REMOTE_ADDR would let anyone
    lock any reviewer out. So when REMOTE_ADDR is one of settings.TRUSTED_PROXIES (addresses or networks), the
    client is the right-most X-Forwarded-For entry that is not itself a trusted proxy: entries to its left
    were written by the client and may be forged. From anyone else X-Forwarded-For is ignored entirely.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    trusted = _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))
    remote_address = _address(remote) if remote else None
    if remote_address is None or not any(remote_address in network for network in trusted):
        return remote
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:  # not an address: nothing to the left of it can be believed either
            break
        if not any(address in network for network in trusted):
            return str(address)
    return remote


def axes_username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """The user name axes counts failures under, cut to the longest real user name (AXES_USERNAME_CALLABLE).

    The login form hands axes whatever was typed; a 10,000-character "user name" would not fit axes' own
    255-character column and PostgreSQL would answer the login with a server error. No real account has a
    longer name than the user model allows, so cutting there never merges two real accounts.
    """
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        username = credentials.get(field)
    else:
        username = getattr(request, "data", request.POST).get(field)
    if username is None:
        return None
    limit = get_user_model()._meta.get_field(get_user_model().USERNAME_FIELD).max_length or 150
    return str(username).replace("\x00", "")[:limit]


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None):
    """The page shown while locked out (AXES_LOCKOUT_CALLABLE): says how long, and whom to ask."""
    cool_off = get_cool_off(request)
    context = {
        "failure_limit": get_failure_limit(request, credentials),
        "lockout_minutes": math.ceil(cool_off.total_seconds() / 60) if cool_off else None,
    }
    if request.path.startswith("/api/") or request.headers.get("x-requested-with") == "XMLHttpRequest":
        # The API's error format: a machine-readable code and a human detail.
        detail = _("登录失败次数过多，登录已暂时锁定。请在 %(minutes)s 分钟后再试，或联系管理员。") % {
            "minutes": context["lockout_minutes"] or "-"
        }
        return JsonResponse({"code": "locked_out", "detail": str(detail)}, status=429)
    return render(request, "security/lockout.html", context, status=429)


class PermissionsPolicyMiddleware:
    """Tells browsers this service never uses the camera, microphone, location or payment APIs.

    Django sets the other security headers itself (nosniff, Referrer-Policy, COOP, X-Frame-Options, HSTS);
    this one it does not, and it costs nothing.
    """

    HEADER_VALUE = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.HEADER_VALUE)
        return response
