"""Uploaded materials and generated documents are never reachable by guessing a URL.

The file store is served by no URL: only the permission-checked views (portal:material, documents:download,
the API's PDF) open files, and those answer 404 to anyone who may not see the case (test_access_matrix).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage

from .world import build_world

pytestmark = pytest.mark.django_db


def test_the_file_store_is_not_under_any_static_folder():
    store = Path(default_storage.location).resolve()
    for static in [settings.STATIC_ROOT, *settings.STATICFILES_DIRS]:
        static = Path(static).resolve()
        assert static not in store.parents and store != static, (store, static)
    assert not settings.MEDIA_URL or settings.MEDIA_URL in ("/", "")


def test_guessing_paths_of_stored_files_finds_nothing(client):
    world = build_world()
    material, document = world.objects["material"], world.objects["document"]
    from applications.documents import services

    document = services.render_document(document.pk)
    stored = [material.file.name, document.file.name]
    assert all(default_storage.exists(name) for name in stored)
    guesses = []
    for name in stored:
        base = Path(name).name
        for prefix in ("/media/", "/files/", "/var/files/", "/static/", "/uploads/", "/", "/materials/", "/documents/"):
            guesses += [prefix + name, prefix + base]
    guesses += [f"/media/materials/2026/11/{uuid.uuid4()}.pdf", f"/files/{uuid.uuid4()}.pdf", "/media/", "/files/"]
    client.force_login(world.users["manager"])  # even a manager gets nothing outside the checked views
    for anyone in (client, type(client)()):
        for url in guesses:
            response = anyone.get(url)
            assert response.status_code == 404, (url, response.status_code)
