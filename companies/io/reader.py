"""The one spreadsheet reader of every import (companies and leads): the file, its headings, its row errors.

The file's content decides its format and encoding, never the user: an XLSX is a ZIP; a CSV is tried as
UTF-8 (with or without BOM), UTF-16 with BOM ("Unicode text"), and otherwise GB18030, the superset of
the GBK that Chinese Excel writes by default, unless the text looks like Big5 (see `plausible_gb18030`).
Row numbers are those a spreadsheet shows: the heading is row 1, so the first record is row 2, and blank
rows keep their numbers.

Headings are matched through `HeaderAliases` (full-width forms, spaces and case do not matter); a row's
problems are `RowError`s (row number, column heading, message, the cells as typed), from which
`problems_csv` and `rejected_rows` write the reports a clerk fixes the file from.
"""

from __future__ import annotations

import codecs
import csv
import gc
import hashlib
import io
import os
import unicodedata
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain, islice
from typing import IO, Any

from django.utils.translation import gettext as _

from .files import write_csv

ZIP_MAGIC = b"PK\x03\x04"


class FileError(ValueError):
    """The file cannot be read at all; the message says what to do."""


@dataclass
class Table:
    headers: list[Any]
    # data rows, the first being spreadsheet row 2: a list or ColumnRows (read_table), a RowStream (open_table)
    rows: Sequence[Sequence[Any]] | RowStream
    format: str  # "xlsx" or "csv"
    encoding: str  # for CSV: the detected encoding; "" for XLSX
    sha256: str
    estimated_rows: int = 0  # open_table: data rows as counted before reading (line ends; the sheet's size)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def plausible_gb18030(text: str) -> bool:
    """Big5 and other double-byte files are usually valid GB18030 too, but decode to rare characters and
    private-use code points. Text that Excel saved in GBK is almost all within GB2312 (the 6,763 common
    characters), so a file whose non-ASCII characters are largely outside it was not written in GBK."""
    wide = [ch for ch in text if ord(ch) > 0x7F]
    if not wide:
        return True
    unusual = 0
    for ch in wide:
        if 0xE000 <= ord(ch) <= 0xF8FF:
            unusual += 1
            continue
        try:
            ch.encode("gb2312")
        except UnicodeEncodeError:
            unusual += 1
    return unusual * 4 <= len(wide)  # at most a quarter: a few traditional or rare characters are fine


def decode_csv(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read with; every spreadsheet import uses this.

    A BOM decides; else strict UTF-8; else GB18030 (a superset of the GBK Chinese Excel writes), unless
    the result looks like another double-byte encoding such as Big5, which would be stored as mojibake.
    """
    for bom, name in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(name), name
            except UnicodeDecodeError:
                break
    else:
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise FileError(_("无法识别文件的字符编码。请在Excel中“另存为”XLSX，或“CSV UTF-8（逗号分隔）”后重新导入。"))
    if not plausible_gb18030(text):
        raise FileError(
            _(
                "文件编码无法可靠识别（可能是繁体 Big5 编码），直接导入会变成乱码。"
                "请另存为 UTF-8 或 GB18030 编码的 CSV（或 XLSX）后重新导入。"
            )
        )
    return text, "gb18030"


def detect_encoding(data: bytes) -> str:
    return decode_csv(data)[1]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a file is read and imported.

    A 100,000-row file creates a few hundred thousand lists and tuples in a few seconds, which sets off
    repeated full collections over everything Django holds (about a fifth of the import's time, none of
    it freeing anything: these objects form no cycles). Reference counting still frees memory as usual;
    the collector is switched back on afterwards if it was on.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class ColumnRows(Sequence):
    """The data rows of a file, kept as its columns: one list of cell texts per heading.

    `read_csv` returns this for the common CSV (no quotes, one row per line, every row as wide as the
    heading, no blank row), so the importer validates each column as it is instead of building 100,000
    row lists and turning them around. Indexing gives a row as a list, as the row reader would, for the
    code that reports a row or shows it in the admin.
    """

    __slots__ = ("columns", "length")

    def __init__(self, columns: list[list[str]], length: int):
        self.columns = columns
        self.length = length

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.length))]
        if index < 0:
            index += self.length
        if not 0 <= index < self.length:
            raise IndexError("row index out of range")
        return [column[index] for column in self.columns]


_LINE = "\x1f"  # stands for a line end while splitting (the ASCII unit separator, never in a company file)


def split_columns(text: str, delimiter: str) -> tuple[list[str], ColumnRows] | None:
    """Heading and columns of a CSV text by plain splitting, or None where that could differ from `csv.reader`.

    Without quote characters, with one kind of line end, no field above the csv module's size limit,
    every data row exactly as wide as the heading row and no blank row, splitting at the line ends and
    the delimiters gives exactly the cells `csv.reader` gives (a test compares the two on random texts).
    Anything else returns None and goes through `csv.reader`.

    The whole text is split in one call, each line end first replaced by a cell of its own (`_LINE`):
    a file whose rows are all as wide as its heading then has that cell at every (width + 1)-th place
    and nowhere else, and each column is one slice of the cells.
    """
    if '"' in text or _LINE in text:
        return None
    end = "\r\n" if "\r\n" in text else "\n"
    if text.endswith(end):
        text = text[: -len(end)]
    flat = text.replace(end, f"{delimiter}{_LINE}{delimiter}")
    del text
    if "\r" in flat or "\n" in flat:
        return None  # another kind of line end, which csv.reader also splits at
    ends = flat.count(_LINE)
    cells = flat.split(delimiter)
    del flat
    try:
        width = cells.index(_LINE)
    except ValueError:
        return None  # a heading and no data row
    stride = width + 1
    length = (len(cells) + 1) // stride - 1  # data rows
    if (
        width < 2
        or len(cells) != (length + 1) * stride - 1
        or ends != length
        or cells[width::stride].count(_LINE) != length
    ):
        return None  # a row narrower or wider than the heading: the row reader pads or ignores cells
    if max(map(len, cells)) > csv.field_size_limit():
        return None  # csv.reader refuses the file
    columns = [cells[stride + i :: stride] for i in range(width)]
    first = columns[0]
    if "" in first:
        empty = [position for position, cell in enumerate(first) if cell == ""]
        if any(all(column[position] == "" for column in columns) for position in empty):
            return None  # a blank row: the row reader skips it and keeps the numbering
    return cells[:width], ColumnRows(columns, length)


def read_csv(data: bytes, *, columns: bool = True) -> tuple[list[Any], Sequence[Sequence[str]], str]:
    """Heading, data rows and encoding. With `columns` (the default) the rows come as `ColumnRows` where
    plain splitting reads the file exactly as `csv.reader` would; otherwise as lists from `csv.reader`."""
    text, encoding = decode_csv(data)
    if text.startswith("\ufeff"):
        text = text[1:]
    first_end = text.find("\n")
    first_line = text if first_end < 0 else text[:first_end]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    if columns:
        split = split_columns(text, delimiter)
        if split is not None:
            return split[0], split[1], encoding
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise FileError(_("CSV文件格式有误（%(detail)s），请用Excel重新保存后再导入。") % {"detail": exc})
    if not records:
        raise FileError(_("文件是空的：第一行应为表头，从第二行起每行一条记录。"))
    return records[0], records[1:], encoding


def read_xlsx(data: bytes) -> tuple[list[Any], list[tuple[Any, ...]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise FileError(_("无法打开这个XLSX文件，文件可能已损坏或加密；请用Excel打开后另存为XLSX再导入。"))
    try:
        sheet = workbook.worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
    finally:
        workbook.close()
    if not rows:
        raise FileError(_("工作表是空的：第一行应为表头，从第二行起每行一条记录。"))
    headers = list(rows[0])
    while headers and headers[-1] is None:
        headers.pop()
    return headers, rows[1:]


def read_table(data: bytes, *, columns: bool = True, xlsx: bool = False) -> Table:
    """Read an uploaded or given file into a heading row and data rows, whatever its format.

    A CSV's rows come as `ColumnRows` where that reads the same (see `read_csv`); `columns=False` always
    gives row lists (the tests compare both ways on the same file). XLSX sheets are read row by row; `xlsx`
    reads the file as one whatever its first bytes (a file named .xlsx that is no workbook is refused).
    """
    if not data:
        raise FileError(_("文件是空的，请选择要导入的文件。"))
    digest = sha256(data)
    if xlsx or data.startswith(ZIP_MAGIC):
        with gc_paused():
            headers, rows = read_xlsx(data)
        return Table(headers, rows, "xlsx", "", digest)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileError(_("这是旧版Excel（.xls）文件，请在Excel中另存为XLSX后再导入。"))
    with gc_paused():
        headers, rows, encoding = read_csv(data, columns=columns)
    return Table(headers, rows, "csv", encoding, digest)


# --- files read a block at a time ------------------------------------------------------------------

READ_SIZE = 1 << 20  # bytes read at a time while the file is hashed and its encoding checked
SAMPLE_CHARS = 4 << 20  # text of a GB18030 candidate judged by `plausible_gb18030` (a whole file up to 4 MB)


class RowStream:
    """The data rows of a file that stays on disk: read a block at a time, once, never all at once.

    `blocks(size)` gives the rows in consecutive blocks of `size` records (blank rows included, so row numbers
    stay right): a `ColumnRows` where plain splitting reads the block exactly as `csv.reader` would, otherwise
    a list of row lists. Iterating gives the rows one by one.
    """

    def __init__(self, blocks: Callable[[int], Iterator[Sequence[Sequence[Any]]]]):
        self._blocks = blocks
        self._used = False

    def blocks(self, size: int) -> Iterator[Sequence[Sequence[Any]]]:
        if self._used:
            raise RuntimeError("the rows of a streamed file are read once")
        self._used = True
        return self._blocks(size)

    def __iter__(self) -> Iterator[Sequence[Any]]:
        for block in self.blocks(5000):
            yield from block


def open_table(source: str | os.PathLike | IO[bytes], *, xlsx: bool = False) -> Table:
    """A file's heading row, and its data rows as a `RowStream`, read from disk (a path, or a seekable binary
    file the caller keeps open while the rows are read). The same rules as `read_table`: the content decides
    the format and the encoding, the same messages for a file that cannot be read.

    Before any row is read the file is read once in `READ_SIZE` pieces: its SHA-256, its encoding (the whole
    file decoded incrementally) and its number of line ends (the page's progress).
    """
    with _opened(source) as handle:
        head = handle.read(8)
        handle.seek(0)
        if not head:
            raise FileError(_("文件是空的，请选择要导入的文件。"))
        if xlsx or head.startswith(ZIP_MAGIC):
            return _open_xlsx(source, handle)
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            raise FileError(_("这是旧版Excel（.xls）文件，请在Excel中另存为XLSX后再导入。"))
        digest, encoding, lines = sniff_csv(handle)
        stream = io.TextIOWrapper(handle, encoding=encoding, newline="")
        try:
            text_lines = iter(stream)
            first_line = next(text_lines, "").lstrip("\ufeff")
            delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
            try:
                headers = next(csv.reader(chain([first_line], text_lines), delimiter=delimiter), None)
            except csv.Error as exc:
                raise FileError(_("CSV文件格式有误（%(detail)s），请用Excel重新保存后再导入。") % {"detail": exc})
        finally:
            stream.detach()
    if headers is None:
        raise FileError(_("文件是空的：第一行应为表头，从第二行起每行一条记录。"))
    estimate = max(lines - 1, 0)
    return Table(
        headers,
        RowStream(lambda size: _csv_blocks(source, encoding, delimiter, size)),
        "csv",
        encoding,
        digest,
        estimate,
    )


@contextmanager
def _opened(source) -> Iterator[IO[bytes]]:
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as handle:
            yield handle
    else:
        source.seek(0)
        yield source


def sniff_csv(handle: IO[bytes]) -> tuple[str, str, int]:
    """SHA-256, encoding (as `decode_csv` decides it) and number of records by line ends, of a CSV file read
    in pieces: the whole file is decoded, but never held."""
    digest = hashlib.sha256()
    head = handle.read(4)
    handle.seek(0)
    if head.startswith(b"\xef\xbb\xbf"):
        first = "utf-8-sig"
    elif head.startswith((b"\xff\xfe", b"\xfe\xff")):
        first = "utf-16"
    else:
        first = "utf-8"
    ok, lines, _sample = _decode_pass(handle, first, digest)
    if ok:
        return digest.hexdigest(), first, lines
    ok, lines, sample = _decode_pass(handle, "gb18030", None)
    if not ok:
        raise FileError(_("无法识别文件的字符编码。请在Excel中“另存为”XLSX，或“CSV UTF-8（逗号分隔）”后重新导入。"))
    if not plausible_gb18030(sample):
        raise FileError(
            _(
                "文件编码无法可靠识别（可能是繁体 Big5 编码），直接导入会变成乱码。"
                "请另存为 UTF-8 或 GB18030 编码的 CSV（或 XLSX）后重新导入。"
            )
        )
    return digest.hexdigest(), "gb18030", lines


def _decode_pass(handle: IO[bytes], encoding: str, digest) -> tuple[bool, int, str]:
    """Decode the whole file in pieces: (decodes, records by line ends, the first SAMPLE_CHARS of text).
    With `digest`, every byte goes into it, also after a decoding error."""
    handle.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    ok, newlines, returns, last, sample = True, 0, 0, "", []
    sampled = 0
    while piece := handle.read(READ_SIZE):
        if digest is not None:
            digest.update(piece)
        if not ok:
            continue
        try:
            text = decoder.decode(piece)
        except UnicodeDecodeError:
            ok = False
            if digest is None:
                break
            continue
        if text:
            newlines += text.count("\n")
            returns += text.count("\r")
            last = text[-1]
            if sampled < SAMPLE_CHARS:
                sample.append(text[: SAMPLE_CHARS - sampled])
                sampled += len(sample[-1])
    if ok:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            ok = False
    handle.seek(0)
    lines = newlines or returns
    if last and last not in "\r\n":
        lines += 1  # the last record has no line end
    return ok, lines, "".join(sample)


class _Lines:
    """The lines of a text, with lines put back in front: `csv.reader` and plain splitting take turns on it."""

    __slots__ = ("pending", "source")

    def __init__(self, source: Iterator[str]):
        self.source = source
        self.pending: list[str] = []  # put back, last first

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        if self.pending:
            return self.pending.pop()
        return next(self.source)


def _csv_blocks(source, encoding: str, delimiter: str, size: int) -> Iterator[Sequence[Sequence[Any]]]:
    """The data rows of a CSV file in blocks of `size` records.

    Each block's lines are first tried with plain splitting (`split_columns`, behind a heading as wide as the
    file's); a block with quotes, blank or short rows goes through `csv.reader`, which reads on into the next
    lines when a quoted cell holds a line break. Between two records the reader holds nothing, so the two
    take turns on the same lines.
    """
    with _opened(source) as handle:
        stream = io.TextIOWrapper(handle, encoding=encoding, newline="")
        try:
            lines = _Lines(iter(stream))
            reader = csv.reader(lines, delimiter=delimiter)
            try:
                heading = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise FileError(_("CSV文件格式有误（%(detail)s），请用Excel重新保存后再导入。") % {"detail": exc})
            dummy = delimiter.join("h" * len(heading))
            while True:
                block = list(islice(lines, size))
                if not block:
                    return
                text = "".join(block)
                split = None
                if '"' not in text and len(heading) >= 2:
                    end = "\r\n" if "\r\n" in text else "\n"
                    split = split_columns(f"{dummy}{end}{text}", delimiter)
                if split is not None and len(split[1]) == len(block):
                    yield split[1]
                    continue
                lines.pending = block[::-1]
                records = []
                try:
                    while lines.pending:
                        records.append(next(reader))
                except StopIteration:
                    pass
                except csv.Error as exc:
                    raise FileError(_("CSV文件格式有误（%(detail)s），请用Excel重新保存后再导入。") % {"detail": exc})
                yield records
        finally:
            stream.detach()


def _open_xlsx(source, handle: IO[bytes]) -> Table:
    digest = hashlib.sha256()
    while piece := handle.read(READ_SIZE):
        digest.update(piece)
    handle.seek(0)
    workbook = _load_workbook(handle)
    try:
        sheet = workbook.worksheets[0]
        first = next(sheet.iter_rows(values_only=True, max_row=1), None)
        estimate = max((sheet.max_row or 1) - 1, 0)
    finally:
        workbook.close()
    if first is None:
        raise FileError(_("工作表是空的：第一行应为表头，从第二行起每行一条记录。"))
    headers = list(first)
    while headers and headers[-1] is None:
        headers.pop()
    return Table(headers, RowStream(lambda size: _xlsx_blocks(source, size)), "xlsx", "", digest.hexdigest(), estimate)


def _load_workbook(handle: IO[bytes]):
    from openpyxl import load_workbook

    try:
        return load_workbook(handle, read_only=True, data_only=True)
    except Exception:
        raise FileError(_("无法打开这个XLSX文件，文件可能已损坏或加密；请用Excel打开后另存为XLSX再导入。"))


def _xlsx_blocks(source, size: int) -> Iterator[Sequence[Sequence[Any]]]:
    """The data rows of the first sheet in blocks of `size` (openpyxl's read-only mode parses the sheet as
    it goes; its shared-strings table, which Excel writes for text cells, is read whole when it opens)."""
    with _opened(source) as handle:
        workbook = _load_workbook(handle)
        try:
            rows = workbook.worksheets[0].iter_rows(values_only=True, min_row=2)
            while block := list(islice(rows, size)):
                yield block
        finally:
            workbook.close()


# --- headings --------------------------------------------------------------------------------------


def header_key(text: Any, units: Sequence[str] = ()) -> str:
    """A heading as compared: NFKC (full-width forms), no BOM or whitespace, lower case, "-" as "_", and
    without the given unit suffixes such as "(元)"."""
    key = "".join(unicodedata.normalize("NFKC", str(text or "")).lstrip("\ufeff").split()).lower()
    for unit in units:
        key = key.replace(unit, "")
    return key.replace("-", "_")


class HeaderAliases:
    """Which column a heading names, from each column's accepted spellings (a later spelling wins)."""

    def __init__(self, spellings: Iterable[tuple[Hashable, Iterable[str]]], *, units: Sequence[str] = ()):
        self.units = tuple(units)
        self.lookup: dict[str, Any] = {}
        for column, names in spellings:
            for name in names:
                self.lookup[header_key(name, self.units)] = column

    def get(self, heading: Any) -> Any:
        return self.lookup.get(header_key(heading, self.units))


# --- row errors and the reports made of them -------------------------------------------------------


@dataclass
class RowError:
    """One problem of one row: spreadsheet row number, column heading ("" for the whole row), message for
    the clerk, and the row's cells as typed (for the reports)."""

    row: int
    column: str
    message: str
    cells: Sequence[Any] = ()

    @property
    def reason(self) -> str:
        return self.message

    def __str__(self) -> str:
        where = _("第%(row)d行") % {"row": self.row}
        return f"{where}［{self.column}］{self.message}" if self.column else f"{where} {self.message}"

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "reason": self.message}


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def problems_csv(headers: Sequence[Any], errors: Iterable[RowError], file_error: str = "") -> bytes:
    """One line per problem: row number, column, reason, then the row as it was in the file."""
    head = ["行号", "列", "原因", *map(_cell, headers)]
    lines = [["", "", file_error]] if file_error else []
    # write_csv neutralises formula-like cells
    lines += [[str(e.row), e.column, e.message, *map(_cell, e.cells)] for e in errors]
    return write_csv(head, lines)


def rejected_rows(headers: Sequence[Any], errors: Iterable[RowError]) -> tuple[list[str], list[list[str]]]:
    """The rows that cannot be imported, as they were typed, each with its reasons in one last cell (to be
    given the heading of the caller's choice): fixed, the file imports again."""
    reasons: dict[int, list[str]] = {}
    cells_of: dict[int, Sequence[Any]] = {}
    for error in errors:
        reasons.setdefault(error.row, []).append(
            f"［{error.column}］{error.message}" if error.column else error.message
        )
        cells_of[error.row] = error.cells
    heading = list(map(_cell, headers))
    width = len(heading)
    rows = []
    for number in sorted(reasons):
        cells = list(map(_cell, list(cells_of[number])[:width]))
        rows.append([*cells, *[""] * (width - len(cells)), "；".join(reasons[number])])
    return heading, rows
