"""Office accounts under /office/accounts/ (namespace `accounts`) and the password pages under /accounts/
(no namespace: Django's password views reverse `password_reset_done`, `password_reset_confirm`, …)."""

from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.account_list, name="list"),
    path("new/", views.account_new, name="new"),
    path("<int:pk>/", views.account_detail, name="detail"),
    path("<int:pk>/active/", views.account_active, name="active"),
    path("<int:pk>/send-link/", views.account_send_link, name="send_link"),
]

password_urlpatterns = [
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("reset/done/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
