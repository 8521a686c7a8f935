"""Start-up checks for production: things that would make a running service unsafe or broken.

Django runs the registered checks before `migrate`, `runserver` and `check`; gunicorn runs none, so
invest/wsgi.py calls `refuse_to_start_on_errors()` in production and the service does not come up at all.

- invest.E001: no virus scanner. Without CLAMAV_SOCKET nothing is scanned: an applicant's PDF carrying
  malware would be stored and opened by a reviewer. Production needs clamd, or CLAMAV_DISABLED=1 written
  down on purpose (the manager dashboard then says that uploads are not scanned).
- invest.E002: no complete static-files manifest (a deployment check). With the manifest storage every
  page looks its CSS and icons up in STATIC_ROOT/staticfiles.json; a host that ran `collectstatic` without
  production settings has no manifest, and every page answers 500 ("Missing staticfiles manifest entry").
"""

from __future__ import annotations

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

TAG = "invest_production"
COLLECTSTATIC = "DJANGO_ENV=production python manage.py collectstatic --noinput"


@checks.register(TAG, checks.Tags.security)
def virus_scanner_configured(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    if not getattr(settings, "IS_PRODUCTION", False):
        return []
    if getattr(settings, "CLAMAV_SOCKET", "") or getattr(settings, "CLAMAV_DISABLED", False):
        return []
    return [
        checks.Error(
            "生产环境没有配置病毒扫描，拒绝启动。No virus scanner is configured: uploaded materials would be "
            "stored unscanned.",
            hint="Set CLAMAV_SOCKET to clamd's unix socket (e.g. /run/clamav/clamd.ctl, package clamav-daemon), "
            "or set CLAMAV_DISABLED=1 to run without scanning on purpose (the manager dashboard then warns).",
            id="invest.E001",
        )
    ]


def _expected_static_files() -> set[str]:
    from django.contrib.staticfiles.finders import get_finders

    names: set[str] = set()
    for finder in get_finders():
        for path, _storage in finder.list(["CVS", ".*", "*~"]):
            names.add(path.replace("\\", "/"))
    return names


@checks.register(TAG, checks.Tags.staticfiles, deploy=True)
def static_manifest_complete(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    from django.contrib.staticfiles.storage import ManifestFilesMixin
    from django.core.files.storage import storages

    storage = storages["staticfiles"]
    if not isinstance(storage, ManifestFilesMixin):
        return []
    location = f"{settings.STATIC_ROOT}/{storage.manifest_name}"
    try:
        manifest = storage.load_manifest()[0] if storage.exists(storage.manifest_name) else None
    except ValueError:  # a damaged manifest: Django raises while reading it
        manifest = None
    if not manifest:
        return [
            checks.Error(
                f"静态文件清单缺失，每个页面都会出错（500）。The static files manifest {location} is missing or empty: "
                "every page would answer 500 ('Missing staticfiles manifest entry').",
                hint=f"collectstatic ran without production settings, or not at all. Run: {COLLECTSTATIC}",
                id="invest.E002",
            )
        ]
    missing = sorted(_expected_static_files() - set(manifest))
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        return [
            checks.Error(
                f"静态文件清单不完整。The static files manifest {location} lacks {len(missing)} file(s): {shown}; "
                "pages using them would answer 500.",
                hint=f"Static files changed since the last collectstatic. Run: {COLLECTSTATIC}",
                id="invest.E002",
            )
        ]
    return []


def refuse_to_start_on_errors() -> None:
    """Run this project's production checks (deployment ones included); raise when any fails."""
    messages = checks.run_checks(include_deployment_checks=True, tags=[TAG])
    serious = [message for message in messages if message.is_serious()]
    if serious:
        raise ImproperlyConfigured(
            "Refusing to start in production:\n" + "\n".join(f"{m}\n  HINT: {m.hint}" for m in serious)
        )
