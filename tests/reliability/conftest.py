"""Fixtures shared by the reliability tests: a file store in a temporary folder, so nothing lands in var/."""

import pytest


@pytest.fixture(autouse=True)
def _file_store(settings, tmp_path):
    storages = {**settings.STORAGES}
    storages["default"] = {**storages["default"], "OPTIONS": {"location": str(tmp_path / "files")}}
    settings.STORAGES = storages
    settings.MEDIA_ROOT = tmp_path / "files"
