import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Every lead factory makes a manager user; real password hashing would dominate the run time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
