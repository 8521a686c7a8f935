"""WSGI entry point (gunicorn invest.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "invest.settings")
application = get_wsgi_application()

from django.conf import settings  # noqa: E402 - after the setup get_wsgi_application() did

if settings.IS_PRODUCTION:
    # gunicorn runs no system checks: a production service without a virus scanner or with an incomplete
    # static-files manifest refuses to come up here, with the check's message (invest/checks.py).
    from invest.checks import refuse_to_start_on_errors

    refuse_to_start_on_errors()
