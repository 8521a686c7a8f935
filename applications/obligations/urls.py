from django.urls import path

from . import views

app_name = "obligations"
urlpatterns = [
    path("mine/", views.mine, name="mine"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/upload", views.upload, name="upload"),
    path("reports/<int:pk>/review", views.review, name="review"),
    path("reports/<int:pk>/file", views.report_file, name="report_file"),
    path("office/", views.office, name="office"),
    path("proposals/", views.proposals, name="proposals"),
    path("proposals/<int:pk>/", views.proposal, name="proposal"),
    path("proposals/<int:pk>/forward", views.forward, name="forward"),
    path("proposals/<int:pk>/dismiss", views.dismiss, name="dismiss"),
]
