"""Tabular exports for finance: CSV (UTF-8 with BOM) and XLSX, streamed a row at a time.

A table is a list of `Column`s (the Chinese header and the kind of its values) and an iterator
of rows, each a sequence of values in column order. In a column of kind "mixed" every value is
a `Cell` carrying its own kind: the monthly statement has counts, amounts and percentages in one
column. Only "flag" and "mixed" columns are converted value by value for CSV; the rest go to
`csv.writer` as they are, which keeps a million-row export close to a bare `csv.writer`.

Nothing here holds the rows: CSV goes out in chunks of a thousand rows, and the XLSX goes
through openpyxl's write-only workbook, which writes each row to a temporary file as it is
appended (a zip needs its whole body before its central directory, so the workbook is a file
first and is streamed from there).

CSV values are plain (amounts "1043.20" with no thousands separator or currency sign, dates
ISO) so that spreadsheets and finance software read them as numbers and dates; XLSX cells are
numbers and dates with a number format per kind.
"""
from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from typing import IO, NamedTuple

from flask import Response, stream_with_context
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

FORMATS = ("csv", "xlsx")
MIMETYPES = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
NUMBER_FORMATS = {"money": '"¥"#,##0.00', "count": "#,##0", "percent": "0.00", "quantity": "#,##0.000",
                  "rate": "#,##0.000000", "date": "yyyy-mm-dd"}
KINDS = (*NUMBER_FORMATS, "text", "flag", "mixed")
FLAG_TEXT = {True: "是", False: "否"}


@dataclass(frozen=True)
class Column:
    title: str
    kind: str = "text"

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


class Cell(NamedTuple):
    """A value whose kind is not its column's."""

    value: object
    kind: str


def columns(*specs: tuple[str, str] | str) -> list[Column]:
    """Columns from titles or (title, kind) pairs."""
    return [Column(spec) if isinstance(spec, str) else Column(*spec) for spec in specs]


def _csv_value(value):
    if isinstance(value, Cell):
        value = value.value
    return FLAG_TEXT[value] if isinstance(value, bool) else value


def csv_chunks(table_columns: Sequence[Column], rows: Iterable[Sequence], rows_per_chunk: int = 1000
               ) -> Iterator[bytes]:
    """UTF-8 with a byte-order mark (Excel shows Chinese right only with it), a chunk per thousand rows.

    csv writes None as "", and Decimal, int and date by str(): plain numbers and ISO dates.
    `writerows` takes each chunk's rows in C: a loop of our own around `writerow` showed in a
    profile of the million-row export.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([column.title for column in table_columns])
    converted = [index for index, column in enumerate(table_columns) if column.kind in ("flag", "mixed")]
    if converted:
        def convert(row):
            row = list(row)
            for index in converted:
                row[index] = _csv_value(row[index])
            return row
        rows = map(convert, rows)
    rows = iter(rows)
    while True:
        writer.writerows(islice(rows, rows_per_chunk))
        chunk = buffer.getvalue()
        if not chunk:
            return
        yield chunk.encode("utf-8")
        buffer.seek(0)
        buffer.truncate()


def write_csv(target: IO[bytes], table_columns: Sequence[Column], rows: Iterable[Sequence]) -> None:
    for chunk in csv_chunks(table_columns, rows):
        target.write(chunk)


def _xlsx_value(value, kind: str):
    if isinstance(value, bool):
        return FLAG_TEXT[value]
    if kind == "count" and isinstance(value, Decimal):
        return int(value)
    return value


def write_xlsx(target: IO[bytes] | str, title: str, table_columns: Sequence[Column], rows: Iterable[Sequence]
               ) -> None:
    """A write-only workbook of one sheet: a bold header, then a number format per cell by its kind.

    A formatted cell is made once per column and kind and reused: the write-only sheet serialises
    a row as soon as it is appended, and building a styled cell per value costs more than the XML.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])  # Excel's limit on a sheet name
    bold = Font(bold=True)
    header = []
    for column in table_columns:
        cell = WriteOnlyCell(sheet, value=column.title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    kinds = [column.kind for column in table_columns]
    styled: dict[tuple[int, str], WriteOnlyCell] = {}
    try:
        for row in rows:
            values = []
            for index, value in enumerate(row):
                kind = kinds[index]
                if kind == "mixed":
                    value, kind = value
                if value is None or kind not in NUMBER_FORMATS:
                    values.append(_xlsx_value(value, kind))
                    continue
                cell = styled.get((index, kind))
                if cell is None:
                    cell = styled[(index, kind)] = WriteOnlyCell(sheet)
                    cell.number_format = NUMBER_FORMATS[kind]
                cell.value = _xlsx_value(value, kind)
                values.append(cell)
            sheet.append(values)
    except BaseException:
        # Rows that fail half-way: end the sheet's writer and drop its temporary file, as saving would.
        sheet.close()
        os.remove(sheet._writer.out)
        raise
    workbook.save(target)


def write(target: IO[bytes], fmt: str, title: str, table_columns: Sequence[Column], rows: Iterable[Sequence]
          ) -> None:
    if fmt == "csv":
        write_csv(target, table_columns, rows)
    else:
        write_xlsx(target, title, table_columns, rows)


def file_chunks(handle: IO[bytes], size: int = 64 * 1024) -> Iterator[bytes]:
    """A file's bytes from its start, closing it at the end (a temporary file then disappears)."""
    handle.seek(0)
    try:
        while chunk := handle.read(size):
            yield chunk
    finally:
        handle.close()


def download(fmt: str, filename: str, table_columns: Sequence[Column], rows: Iterable[Sequence]) -> Response:
    """The table as an attachment `<filename>.<fmt>`; CSV streams as the rows come."""
    headers = {"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'}
    if fmt == "csv":
        return Response(stream_with_context(csv_chunks(table_columns, rows)), content_type=MIMETYPES["csv"],
                        headers=headers)
    handle = tempfile.TemporaryFile()
    write_xlsx(handle, filename, table_columns, rows)
    return Response(file_chunks(handle), content_type=MIMETYPES["xlsx"], headers=headers)


def send_file(path, fmt: str, filename: str) -> Response:
    """A finished export file as an attachment."""
    return Response(file_chunks(open(path, "rb")), content_type=MIMETYPES[fmt],  # noqa: SIM115 (closed by file_chunks)
                    headers={"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'})

