"""A complete static-files manifest written in a moment, for tests that start a production process without
running the minute-long `collectstatic` (the real files are not needed to pass the start-up check)."""

from __future__ import annotations

import json
from pathlib import Path

from invest.checks import _expected_static_files


def write_manifest(folder: Path, *, leave_out: tuple[str, ...] = ()) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: name for name in sorted(_expected_static_files()) if name not in leave_out}
    (folder / "staticfiles.json").write_text(json.dumps({"paths": paths, "version": "1.1", "hash": "test"}))
    return folder
