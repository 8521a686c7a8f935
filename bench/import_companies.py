"""Benchmark: bulk import of N synthetic companies, all new and then half changed.

    .venv/bin/python bench/import_companies.py [N] [--baseline-n M]
    scripts/with-postgres .venv/bin/python bench/import_companies.py 100000

Uses a fresh throw-away database: a temporary SQLite file, or the PostgreSQL database in DATABASE_URL
(whose tables it creates with migrate). Each run reads a generated CSV file (UTF-8 with BOM, Chinese
headings) through the same path as `manage.py import_companies`. In the same run it measures a plain
django-import-export ModelResource with the library's defaults (upsert on credit_code) on M rows
(default min(N, 3000): at ~700 rows/s the baseline on 100,000 rows would take minutes) and prints
the ratios. Peak memory is the process's peak resident set size.
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import time
from pathlib import Path

from _common import setup_django  # bench/ is on sys.path: it is this script's folder


def synthetic_rows(n: int, seed: int = 2026) -> list[list[str]]:
    from companies.uscc import make_code

    rnd = random.Random(seed)
    industries = ["影视制作", "发行", "后期制作", "器材租赁", "道具服装", "影视基地与场景服务", "演艺经纪", "其他"]
    rows = []
    for i in range(n):
        registered = rnd.randrange(1, 500) * 100000
        rows.append(
            [
                make_code(f"91500116{i:09d}"),
                f"重庆江津影视文化传媒有限公司{i}",
                f"法人{i % 997}",
                f"{registered}.00",
                f"{registered // 2}.00",
                f"20{rnd.randrange(10, 26)}-{rnd.randrange(1, 13):02d}-{rnd.randrange(1, 29):02d}",
                "江津区",
                "江津区",
                f"重庆市江津区白沙镇影视大道{i}号",
                industries[i % len(industries)],
                "存续",
                "是" if i % 5 == 0 else "否",
                "2024-01-01" if i % 5 == 0 else "",
                f"联系人{i % 101}",
                f"023-{40000000 + i}",
                f"c{i}@example.com",
                f"重庆江津影视文化传媒有限公司{i}",
                "重庆农村商业银行江津支行",
                f"62220200{i:011d}",
                "",
            ]
        )
    return rows


def half_changed(rows: list[list[str]]) -> list[list[str]]:
    changed = []
    for i, row in enumerate(rows):
        row = list(row)
        if i % 2 == 0:
            row[14] = f"023-{50000000 + i}"  # phone
            row[4] = row[3]  # paid-in capital now equals registered capital
        changed.append(row)
    return changed


def csv_bytes(rows: list[list[str]]) -> bytes:
    from companies.io.columns import HEADERS
    from companies.io.files import write_csv

    return write_csv(HEADERS, rows)


def reset_peak() -> bool:
    """Start the peak-memory count afresh after generating the files (Linux: clear_refs 5 resets VmHWM)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_mb() -> float:
    """Peak resident set size since reset_peak (VmHWM), or of the whole process where that is not available."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_probe() -> float:
    """CPU seconds for 10**7 Python additions: how fast this machine's (shared, often throttled) CPU is
    right now. About 0.4 s on an idle core of the development machine; figures scale with it."""
    started, total = time.process_time(), 0
    for i in range(10**7):
        total += i
    return time.process_time() - started


def run_project(data: bytes, name: str):
    from companies.io.importer import import_rows
    from companies.io.reader import read_table

    started, cpu = time.perf_counter(), time.process_time()
    table = read_table(data)
    report = import_rows(table.headers, table.rows, file_name=name, file_sha256=table.sha256, source="bench")
    seconds = time.perf_counter() - started
    report.cpu = time.process_time() - cpu
    assert not report.invalid and report.applied, report.problems[:5]
    return seconds, report


def run_baseline(data: bytes):
    import tablib
    from import_export import resources

    from companies.models import Company

    class PlainCompanyResource(resources.ModelResource):
        class Meta:
            model = Company
            import_id_fields = ("credit_code",)

    # The plain resource knows English field names only: rename the Chinese headings.
    from companies.io.columns import COLUMNS

    text = data.decode("utf-8-sig")
    dataset = tablib.Dataset().load(text, format="csv")
    dataset.headers = [c.field for c in COLUMNS]
    # Its widgets want keys and booleans, not the Chinese labels of the export.
    from django.utils import translation

    from companies.models import BusinessStatus, Industry

    with translation.override(None):
        industry = {str(label): key for key, label in Industry.choices}
        status = {str(label): key for key, label in BusinessStatus.choices}
    rows = []
    for row in dataset:
        row = list(row)
        row[9] = industry[row[9]]
        row[10] = status[row[10]]
        row[11] = "1" if row[11] == "是" else "0"
        rows.append(row)
    dataset = tablib.Dataset(*rows, headers=dataset.headers)
    started, cpu = time.perf_counter(), time.process_time()
    result = PlainCompanyResource().import_data(dataset, dry_run=False)
    seconds = time.perf_counter() - started
    result.cpu = time.process_time() - cpu
    assert not result.has_errors() and not result.has_validation_errors(), (
        result.base_errors[:3],
        result.row_errors()[:3],
        [r.error_dict for r in result.invalid_rows[:3]],
    )
    return seconds, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=100_000)
    parser.add_argument("--baseline-n", type=int, default=None)
    args = parser.parse_args()
    n = args.n
    base_n = args.baseline_n if args.baseline_n is not None else min(n, 3000)

    vendor = setup_django()
    from companies.models import Company

    Company.objects.all().delete()
    rows = synthetic_rows(n)
    first, second = csv_bytes(rows), csv_bytes(half_changed(rows))
    del rows  # only the files stay in memory, as for the command
    gc.collect()
    since_reset = reset_peak()
    print(f"import_companies: N={n} on {vendor}; baseline on {base_n} rows; 2-core machine shared with other work")
    print(f"  CPU probe: 10**7 Python additions took {cpu_probe():.2f} s of CPU (about 0.4 s when the machine is idle)")

    t_new, rep = run_project(first, "bench-new.csv")
    assert rep.new == n, rep.counts()
    t_half, rep2 = run_project(second, "bench-half.csv")
    assert rep2.updated == n // 2 + n % 2 and rep2.unchanged == n // 2, rep2.counts()
    t_again, rep3 = run_project(second, "bench-half.csv")
    assert rep3.unchanged == n, rep3.counts()
    project_peak = peak_mb()

    Company.objects.all().delete()
    base_rows = synthetic_rows(base_n)
    b_new, base1 = run_baseline(csv_bytes(base_rows))
    b_half, base2 = run_baseline(csv_bytes(half_changed(base_rows)))

    p_new, p_half, p_again = n / t_new, n / t_half, n / t_again
    q_new, q_half = base_n / b_new, base_n / b_half
    print("  wall-clock rows/s; in brackets: seconds, and rows per CPU-second of this process (the database")
    print("  server's CPU is not in it on PostgreSQL), which other work on the machine disturbs less")
    for label, rate, secs, r in (
        ("all new     ", p_new, t_new, rep),
        ("half changed", p_half, t_half, rep2),
        ("re-import   ", p_again, t_again, rep3),
    ):
        print(f"  project, {label} : {rate:10,.0f} rows/s ({secs:.2f} s; {n / r.cpu:,.0f} rows/CPU-s) {r.counts()}")
    scope = "since the files were generated" if since_reset else "of the whole process"
    print(f"  project peak memory   : {project_peak:10,.0f} MB (peak resident set size {scope}, Django included)")
    print(
        f"  plain ModelResource, all new      : {q_new:10,.0f} rows/s ({b_new:.2f} s for {base_n} rows; "
        f"{base_n / base1.cpu:,.0f} rows/CPU-s)"
    )
    print(
        f"  plain ModelResource, half changed : {q_half:10,.0f} rows/s ({b_half:.2f} s for {base_n} rows; "
        f"{base_n / base2.cpu:,.0f} rows/CPU-s)"
    )
    print(f"  ratio all new      : {p_new / q_new:6.1f}x")
    print(f"  ratio half changed : {p_half / q_half:6.1f}x")
    print(f"  CPU probe after the runs: {cpu_probe():.2f} s")
    target = 20_000
    verdict = "met" if min(p_new, p_half) >= target and project_peak < 1024 else "MISSED"
    print(f"  target >= {target:,} rows/s on both runs and < 1 GB: {verdict}")


if __name__ == "__main__":
    main()
