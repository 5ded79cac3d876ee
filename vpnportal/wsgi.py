"""WSGI entry point for gunicorn (and runserver, which loads WSGI_APPLICATION): refuses to serve without secrets."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

from vpnportal.startup import require_secrets

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vpnportal.settings")
application = get_wsgi_application()
require_secrets("web server")
