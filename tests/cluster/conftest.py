"""tests/cluster run inside ``scripts/cluster run`` (``make test-cluster``): this process is one more "host" of
the cluster, on its database, cache and bucket. Elsewhere (``make test``) they are skipped.

The suite's autouse settings put files in a local temporary folder; here the files must go to the cluster's
bucket, as on every host, so the storage the environment configured (invest.settings) is put back.
"""

from __future__ import annotations

import os

import pytest
from django.conf import settings as django_settings

CLUSTER = os.environ.get("CLUSTER_URL", "")
CLUSTER_STORAGE = dict(django_settings.STORAGES["default"])


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/cluster/" in str(item.fspath):
            item.add_marker(pytest.mark.process_kill)
            item.add_marker(pytest.mark.slow)
            if not CLUSTER:
                item.add_marker(pytest.mark.skip(reason="needs the cluster: make test-cluster"))


@pytest.fixture(autouse=True)
def _cluster_storage(_test_settings, settings):
    if CLUSTER:
        settings.STORAGES = {**settings.STORAGES, "default": CLUSTER_STORAGE}


@pytest.fixture
def cluster_db(django_db_blocker):
    """The cluster's own database (no test database: the servers must see what this test writes)."""
    with django_db_blocker.unblock():
        yield
