"""Fast twins of library behaviour, and the start-up check that the library is still the one they copy.

Two modules hand-write, for speed, what a library already does: `policies.fastrules` turns rule-engine's
syntax tree into Python closures that follow rule-engine's semantics node by node, and
`applications.documents.qr` scores segno's eight data masks on whole rows instead of module by module. Each is
right only for the library version its equivalence test compared it with. A new version may change what the
library does (an operator's type rules, the penalty scores) while the twin keeps the old behaviour, and
nothing would say so: the equivalence tests sample inputs, they cannot prove every one.

So each twin declares ``TWIN = Twin(library, verified, test)``: the distribution it copies, the version its
test was run against and the test itself. The system check below (invest.E003, run by ``manage.py check``,
``migrate``, ``runserver`` and tests/test_twins.py in ``make test``) compares the installed version with the
declared one. After upgrading the library: run the twin's test, fix the twin if it fails, then change
``verified``.

The company spreadsheet's fast column readers (companies.io.widgets ``fast_*``) are twins of this project's
own per-cell parsers, not of a library, so no version is declared for them; tests/companies/test_import_paths.py
compares the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

from django.core import checks

#: The modules that declare a TWIN.
MODULES = ("policies.fastrules", "applications.documents.qr")


@dataclass(frozen=True)
class Twin:
    library: str  # the distribution, as requirements.txt names it
    verified: str  # the version the equivalence test was last run against (the pinned one)
    test: str  # the test that compares the twin with the library


def declared() -> dict[str, Twin]:
    return {name: import_module(name).TWIN for name in MODULES}


def installed(library: str) -> str | None:
    try:
        return version(library)
    except PackageNotFoundError:
        return None


@checks.register("invest_twins")
def twins_match_installed_libraries(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    errors = []
    for name, twin in declared().items():
        found = installed(twin.library)
        if found != twin.verified:
            errors.append(
                checks.Error(
                    f"{name} copies {twin.library} {twin.verified}, but {twin.library} {found or '(not installed)'} "
                    "is installed: the fast twin may no longer do what the library does.",
                    hint=f"Run {twin.test}; when it passes (after fixing {name} if needed), set TWIN.verified "
                    f'to "{found}" in {name}. Or install the pinned version: make venv.',
                    obj=name,
                    id="invest.E003",
                )
            )
    return errors
