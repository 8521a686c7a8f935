from django.urls import path

from . import document_views, views
from .io import views as import_views

app_name = "companies"
urlpatterns = [
    path("", views.my_companies, name="mine"),
    path("join/", views.join, name="join"),
    path("requests/", views.pending_requests, name="requests"),
    path("requests/<int:pk>/decide/", views.decide, name="decide"),
    path("register/", views.register_company, name="register_company"),
    path("registrations/<int:pk>/", views.registration, name="registration"),
    path("registrations/<int:pk>/decide/", views.registration_decide, name="registration_decide"),
    path("registrations/<int:pk>/licence/", views.registration_licence, name="registration_licence"),
    path("members/<int:pk>/end/", views.end_membership, name="end_membership"),
    path("import/", import_views.upload, name="import"),
    path("import/<int:pk>/", import_views.job, name="import_job"),
    path("import/<int:pk>/decide/", import_views.decide, name="import_decide"),
    path("import/<int:pk>/rejected/", import_views.rejected, name="import_rejected"),
    path("documents/<int:pk>/file/", document_views.document_file, name="document_file"),
    path("<str:code>/documents/", document_views.documents, name="documents"),
    path("<str:code>/documents/<str:kind>/", document_views.document_upload, name="document_upload"),
    path("<str:code>/", views.detail, name="detail"),
    path("<str:code>/edit/", views.edit, name="edit"),
]
