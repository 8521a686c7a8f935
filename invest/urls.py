from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views
from .accounts import urls as account_urls
from .api import urls as api_urls

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("companies.account_urls")),
    path("accounts/", include(account_urls.password_urlpatterns)),
    path("office/accounts/", include("invest.accounts.urls")),
    path("admin/", admin.site.urls),
    path("companies/", include("companies.urls")),
    path("investment/", include("companies.investment.urls")),
    path("policies/", include("policies.urls")),
    path("cases/", include("applications.urls")),
    path("obligations/", include("applications.obligations.urls")),
    path("api/", include(api_urls.urlpatterns)),
    path("audit/", include("invest.auditlog.urls")),
    path("inbox/", include("applications.portal.inbox_urls")),
    path("", include("applications.portal.urls")),
    path("", include("applications.documents.urls")),
    path("", include("applications.statistics.urls")),
]

# Whatever no view handled: 503 for a database or file store that is down, 500 otherwise; JSON under /api/,
# a page that renders without the database or context processors elsewhere (invest.errors).
handler500 = "invest.errors.server_error"
