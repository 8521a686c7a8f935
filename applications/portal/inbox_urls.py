from django.urls import path

from . import inbox

app_name = "inbox"
urlpatterns = [
    path("", inbox.inbox, name="list"),
    path("<int:pk>/", inbox.open_entry, name="open"),
    path("read-all", inbox.read_all, name="read_all"),
]
