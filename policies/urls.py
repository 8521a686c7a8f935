from django.urls import path

from . import views

app_name = "policies"
urlpatterns = [
    path("", views.calculator, name="calculator"),
    path("items/<str:code>/", views.item_detail, name="item"),
    path("invitations/", views.my_invitations, name="invitations"),
    path("invitations/<int:pk>/start/", views.start_from_invitation, name="start_invitation"),
    path("invitations/<int:pk>/confirm/", views.confirm_invitation, name="confirm_invitation"),
]
