"""A db_worker whose PDF rendering announces itself and then hangs, so a test can kill it mid-render.

Run as ``python tests/reliability/slow_worker.py MARKER_FILE`` with DATABASE_URL and FILE_STORE set.
"""

import os
import sys
import time
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "invest.settings")
    import django

    django.setup()
    from applications.documents import rendering

    marker = Path(sys.argv[1])

    def hanging_render(**kwargs):
        marker.write_text(str(os.getpid()))
        time.sleep(3600)

    rendering.render_pdf = hanging_render
    from django.core.management import call_command

    call_command("db_worker", "--no-startup-delay", "--interval", "0.2")
