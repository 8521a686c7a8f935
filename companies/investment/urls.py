from django.urls import path

from . import views

app_name = "investment"
urlpatterns = [
    path("", views.pipeline, name="pipeline"),
    path("export.xlsx", views.export, name="export"),
    path("leads/<int:pk>/", views.lead_detail, name="lead"),
    path("leads/<int:pk>/advance", views.lead_advance, name="advance"),
    path("leads/<int:pk>/follow-ups", views.follow_up, name="follow_up"),
    path("leads/<int:pk>/milestones", views.plan_milestone, name="plan_milestone"),
    path("leads/<int:pk>/milestones/<int:milestone_pk>/reached", views.reach_milestone, name="reach_milestone"),
    path("companies/<int:pk>/", views.company_history, name="company"),
]
