"""WSGI entry point (gunicorn invest.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "invest.settings")
application = get_wsgi_application()
