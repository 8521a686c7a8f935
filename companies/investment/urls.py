from django.urls import path

from . import views

app_name = "investment"
urlpatterns = [
    path("", views.pipeline, name="pipeline"),
    path("export.xlsx", views.export, name="export"),
    path("leads/<int:pk>/", views.lead_detail, name="lead"),
    path("leads/<int:pk>/advance", views.lead_advance, name="advance"),
    path("companies/<int:pk>/", views.company_history, name="company"),
]
