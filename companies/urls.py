from django.urls import path

from . import views

app_name = "companies"
urlpatterns = [
    path("", views.my_companies, name="mine"),
    path("join/", views.join, name="join"),
    path("requests/", views.pending_requests, name="requests"),
    path("requests/<int:pk>/decide/", views.decide, name="decide"),
    path("<str:code>/", views.detail, name="detail"),
    path("<str:code>/edit/", views.edit, name="edit"),
]
