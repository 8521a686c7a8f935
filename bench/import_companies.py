"""Benchmark: bulk import of 100,000 and 1,000,000 synthetic companies, all new, then half changed, then again.

    .venv/bin/python bench/import_companies.py [--sizes 100000,1000000] [--baseline-sizes 2000,10000]
    scripts/with-postgres .venv/bin/python bench/import_companies.py

Uses a fresh throw-away database: a temporary SQLite file, or the PostgreSQL database in DATABASE_URL
(whose tables it creates with migrate). The files are generated on disk (CSV, UTF-8 with BOM, Chinese
headings, written row by row) and each import runs in a child process of its own, `manage.py
import_companies FILE` exactly as an operator runs it, so that its peak resident set size (the child's
ru_maxrss, from wait4) is the import's alone, Django included. Rows per second are the command's own
seconds (reading, validating and writing the file, Django's start-up excluded).

In the same run a plain django-import-export ModelResource with the library's defaults (upsert on
credit_code) imports the same kind of file, also in a child process. It does some 250-700 rows/s and holds
the whole file, so it runs on smaller files (--baseline-sizes) and is stopped after --baseline-timeout
seconds; the output says where it was capped. Targets (issue 18): peak RSS < 1 GB at both sizes and
within 1.3x of each other; >= 30,000 rows/s on PostgreSQL for the million.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, setup_django  # bench/ is on sys.path: it is this script's folder

INDUSTRIES = ["影视制作", "发行", "后期制作", "器材租赁", "道具服装", "影视基地与场景服务", "演艺经纪", "其他"]


def synthetic_rows(n: int, seed: int = 2026, *, changed: bool = False):
    """The rows of the file, one at a time; `changed` gives the re-import where every other row changes
    its phone number and its paid-in capital."""
    from companies.uscc import make_code

    rnd = random.Random(seed)
    for i in range(n):
        registered = rnd.randrange(1, 500) * 100000
        established = f"20{rnd.randrange(10, 26)}-{rnd.randrange(1, 13):02d}-{rnd.randrange(1, 29):02d}"
        half = changed and i % 2 == 0
        yield [
            make_code(f"91500116{i:09d}"),
            f"重庆江津影视文化传媒有限公司{i}",
            f"法人{i % 997}",
            f"{registered}.00",
            f"{registered}.00" if half else f"{registered // 2}.00",
            established,
            "江津区",
            "江津区",
            f"重庆市江津区白沙镇影视大道{i}号",
            INDUSTRIES[i % len(INDUSTRIES)],
            "存续",
            "是" if i % 5 == 0 else "否",
            "2024-01-01" if i % 5 == 0 else "",
            f"联系人{i % 101}",
            f"023-{50000000 + i}" if half else f"023-{40000000 + i}",
            f"c{i}@example.com",
            f"重庆江津影视文化传媒有限公司{i}",
            "重庆农村商业银行江津支行",
            f"62220200{i:011d}",
            "",
        ]


def write_file(path: Path, n: int, *, changed: bool = False, plain: bool = False) -> Path:
    """The file on disk, written a row at a time (a million rows are never in the bench's memory either).
    `plain` writes what the plain ModelResource reads: English field names, choice keys, 1/0."""
    from companies.io.columns import COLUMNS, HEADERS
    from invest.exporting import write_csv_to

    rows = synthetic_rows(n, changed=changed)
    headers = HEADERS
    if plain:
        from django.utils import translation

        from companies.models import BusinessStatus, Industry

        with translation.override(None):
            industry = {str(label): key for key, label in Industry.choices}
            status = {str(label): key for key, label in BusinessStatus.choices}
        headers = [column.field for column in COLUMNS]

        def keys(rows):
            for row in rows:
                row[9], row[10], row[11] = industry[row[9]], status[row[10]], "1" if row[11] == "是" else "0"
                yield row

        rows = keys(rows)
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        write_csv_to(out, headers, rows)
    return path


def empty_registry() -> None:
    from django.db import connection

    from companies.models import Company

    table = connection.ops.quote_name(Company._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {table} CASCADE")
        else:
            cursor.execute(f"DELETE FROM {table}")
    connection.close()  # the child imports on its own connection; SQLite must not see a lock of ours


def run_child(args: list[str], timeout: float | None = None) -> dict:
    """Run a child process; its peak RSS (wait4's ru_maxrss), wall seconds and last stdout line (JSON)."""
    started = time.perf_counter()
    child = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy())
    timed_out = False
    try:
        out, err = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        child.kill()
        out, err = child.communicate()
    # The peak is the child's own: /usr/bin/time (or measure_child's wait4) prints it on stderr's last line.
    wall = time.perf_counter() - started
    peak_kb = _peak_from_stderr(err)
    result = {"wall": wall, "peak_mb": peak_kb / 1024 if peak_kb else None, "timed_out": timed_out}
    lines = out.decode().strip().splitlines()
    if lines and not timed_out:
        try:
            result.update(json.loads(lines[-1]))
        except json.JSONDecodeError:
            pass
    if child.returncode not in (0, -9) and not timed_out:
        sys.stderr.write(err.decode()[-3000:])
        raise SystemExit(f"child failed: {' '.join(args)}")
    return result


def _peak_from_stderr(err: bytes) -> int | None:
    for line in reversed(err.decode(errors="replace").splitlines()):
        if line.startswith("PEAK_RSS_KB "):
            return int(line.split()[1])
    return None


TIME = "/usr/bin/time"


def command(path: Path) -> list[str]:
    """manage.py import_companies under /usr/bin/time -f, which prints the child's own peak RSS (ru_maxrss
    of that one process) on the last line of its standard error."""
    args = [sys.executable, str(ROOT / "manage.py"), "import_companies", str(path)]
    if Path(TIME).exists():
        return [TIME, "-f", "PEAK_RSS_KB %M", *args]
    return [sys.executable, __file__, "--measure", *args]


def cpu_probe() -> float:
    """CPU seconds for 10**7 Python additions: how fast this machine's (shared, often throttled) CPU is
    right now. About 0.3-0.4 s on an idle core of the development machine; figures scale with it."""
    started, total = time.process_time(), 0
    for i in range(10**7):
        total += i
    return time.process_time() - started


def baseline_child(path: str) -> None:
    """In the child: the plain ModelResource on the file, the library's defaults; prints JSON counts."""
    setup_django(migrate=False)
    import tablib
    from import_export import resources

    from companies.models import Company

    class PlainCompanyResource(resources.ModelResource):
        class Meta:
            model = Company
            import_id_fields = ("credit_code",)

    started = time.perf_counter()
    dataset = tablib.Dataset().load(Path(path).read_text(encoding="utf-8-sig"), format="csv")
    result = PlainCompanyResource().import_data(dataset, dry_run=False)
    seconds = time.perf_counter() - started
    assert not result.has_errors() and not result.has_validation_errors(), (
        result.base_errors[:3],
        [r.error_dict for r in result.invalid_rows[:3]],
    )
    totals = result.totals
    print(
        json.dumps({"new": totals["new"], "updated": totals["update"], "unchanged": totals["skip"], "seconds": seconds})
    )


def measure_child(args: list[str]) -> None:
    """Without /usr/bin/time: run the command and report its peak RSS from wait4."""
    child = subprocess.Popen(args)
    _pid, status, usage = os.wait4(child.pid, 0)
    print(f"PEAK_RSS_KB {usage.ru_maxrss}", file=sys.stderr)
    raise SystemExit(os.waitstatus_to_exitcode(status))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--baseline-sizes", default="2000,10000")
    parser.add_argument("--baseline-timeout", type=float, default=300.0)
    parser.add_argument("--baseline-child", help=argparse.SUPPRESS)
    parser.add_argument("--measure", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_child:
        baseline_child(args.baseline_child)
        return
    if args.measure:
        measure_child(args.measure)
        return
    sizes = [int(s) for s in args.sizes.split(",") if s]
    base_sizes = [int(s) for s in args.baseline_sizes.split(",") if s]

    vendor = setup_django()
    folder = Path(tempfile.mkdtemp(prefix="jj-bench-files-"))
    print(f"import_companies on {vendor}: sizes {sizes}, plain ModelResource baseline on {base_sizes}")
    print(
        f"  machine: {os.cpu_count()} cores, {_memory_gb():.0f} GB; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    print(f"  CPU probe: 10**7 Python additions took {cpu_probe():.2f} s of CPU (about 0.3-0.4 s when idle)")
    print("  each import a child process `manage.py import_companies FILE`; rows/s from the command's seconds;")
    print("  peak = the child's peak resident set size, Django included")
    project: dict[int, dict[str, dict]] = {}
    for n in sizes:
        new_file = write_file(folder / f"new-{n}.csv", n)
        half_file = write_file(folder / f"half-{n}.csv", n, changed=True)
        size_mb = new_file.stat().st_size / 2**20
        empty_registry()
        runs = {}
        for label, path in (("all new", new_file), ("half changed", half_file), ("re-import", half_file)):
            runs[label] = run = run_child(command(path))
            print(
                f"  project {n:>9,} rows ({size_mb:,.0f} MB file), {label:<12}: {n / run['seconds']:10,.0f} rows/s "
                f"({run['seconds']:.1f} s, {run['wall']:.1f} s with start-up), peak {run['peak_mb']:,.0f} MB  "
                f"new={run['new']} updated={run['updated']} unchanged={run['unchanged']} invalid={run['invalid']}"
            )
        assert runs["all new"]["new"] == n and runs["half changed"]["updated"] == (n + 1) // 2, runs
        assert runs["re-import"]["unchanged"] == n, runs
        project[n] = runs
        new_file.unlink()
        half_file.unlink()

    baseline: dict[int, dict[str, dict]] = {}
    for n in base_sizes:
        empty_registry()
        runs = {}
        for label, changed in (("all new", False), ("half changed", True)):
            path = write_file(folder / f"plain-{label[0]}-{n}.csv", n, changed=changed, plain=True)
            args_ = [sys.executable, __file__, "--baseline-child", str(path)]
            if Path(TIME).exists():
                args_ = [TIME, "-f", "PEAK_RSS_KB %M", *args_]
            runs[label] = run = run_child(args_, timeout=args.baseline_timeout)
            path.unlink()
            if run["timed_out"]:
                print(
                    f"  plain ModelResource {n:>7,} rows, {label:<12}: CAPPED, not done in {args.baseline_timeout:.0f} s"
                )
                break
            print(
                f"  plain ModelResource {n:>7,} rows, {label:<12}: {n / run['seconds']:10,.0f} rows/s "
                f"({run['seconds']:.1f} s), peak {run['peak_mb']:,.0f} MB"
            )
        baseline[n] = runs
    if base_sizes:
        print(
            f"  baseline capped at {max(base_sizes):,} rows: at its rate a million rows would take hours and hold "
            "the file"
        )

    print("  ratios")
    if len(sizes) >= 2:
        small, large = min(sizes), max(sizes)
        peaks = {n: max(run["peak_mb"] for run in project[n].values()) for n in (small, large)}
        ratio = peaks[large] / peaks[small]
        print(
            f"    project peak {large:,} / {small:,} rows: {peaks[large]:,.0f} / {peaks[small]:,.0f} MB = {ratio:.2f}x"
        )
    for n in sizes:
        for b in base_sizes:
            for label in ("all new", "half changed"):
                base = baseline.get(b, {}).get(label)
                if not base or base["timed_out"]:
                    continue
                ours = n / project[n][label]["seconds"]
                theirs = b / base["seconds"]
                print(
                    f"    {label:<12} rows/s, project at {n:,} / baseline at {b:,}: {ours / theirs:7.1f}x; "
                    f"peak {project[n][label]['peak_mb']:,.0f} / {base['peak_mb']:,.0f} MB"
                )
    print(f"  CPU probe after the runs: {cpu_probe():.2f} s")
    peak_all = max(run["peak_mb"] for runs in project.values() for run in runs.values())
    flat = len(sizes) < 2 or ratio <= 1.3
    print(f"  target peak < 1 GB at every size: {'met' if peak_all < 1024 else 'MISSED'} ({peak_all:,.0f} MB)")
    print(f"  target peaks within 1.3x: {'met' if flat else 'MISSED'}")
    if vendor == "postgresql" and 1_000_000 in project:
        rates = {label: 1_000_000 / run["seconds"] for label, run in project[1_000_000].items()}
        low = min(rates["all new"], rates["half changed"])
        print(
            f"  target >= 30,000 rows/s for the million (all new, half changed): {'met' if low >= 30_000 else 'MISSED'} ({low:,.0f})"
        )


def _memory_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return 0.0


if __name__ == "__main__":
    main()
