"""Export formats and the one path from a query to a recorded file."""

import csv
import io
import json
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice

from django.db import transaction
from django.db.models import BooleanField, F, Func, IntegerField, QuerySet, Value
from django.utils import timezone

from accounts.models import User
from invoices.models import (
    Invoice,
    InvoiceStatus,
)
from invoices.services.records import (
    invoices_record_export,
    invoices_record_export_rows,
)

# The most invoices one export may hold (a ZIP of more than
# settings.INVOICE_ZIP_INLINE_LIMIT is built in the background).
EXPORT_LIMIT = 10_000
# Invoices read, written and recorded together by a streamed export; the
# first chunk is smaller, done before the response starts.
EXPORT_CHUNK = 2500
EXPORT_FIRST_CHUNK = 100

CSV_UTF8 = "csv-utf8"
CSV_CP932 = "csv-cp932"
ZIP = "zip"


@dataclass(frozen=True)
class CsvFile:
    """A CSV of invoices with CRLF line endings, written a chunk of
    invoices at a time: ``head()`` (the header row), then ``body()`` of
    each chunk (``rows`` gives a chunk's rows, so that what every row
    needs, labels or the time zone, is looked up once a chunk).
    ``CSV_UTF8`` starts with a BOM, without which Excel misreads UTF-8;
    ``CSV_CP932`` is what Japanese Excel opens directly, and a character
    CP932 lacks becomes ``?`` rather than failing the whole export.
    Called with all the invoices, it is the whole file."""

    header: Sequence
    rows: Callable[[Iterable], Iterable[Sequence]]
    encoding: str

    def _encode(self, rows: Iterable[Sequence], *, first: bool) -> bytes:
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows(rows)
        if self.encoding == CSV_CP932:
            return out.getvalue().encode("cp932", errors="replace")
        return out.getvalue().encode("utf-8-sig" if first else "utf-8")

    def head(self) -> bytes:
        return self._encode([self.header], first=True)

    def body(self, invoices: Iterable) -> bytes:
        return self._encode(self.rows(invoices), first=False)

    def __call__(self, invoices: Iterable) -> bytes:
        return self.head() + self.body(invoices)


# One path from a query to a file ---------------------------------------------


@dataclass(frozen=True)
class ExportFormat:
    """One kind of file: how it is read and rendered, served, and recorded.
    A CSV is data taken out (CSV出力); the ZIP hands out the documents
    (ダウンロード)."""

    load: Callable[[QuerySet[Invoice]], list[Invoice] | list[tuple]]
    # A ``CsvFile`` is streamed (``invoices_export_stream``).
    render: Callable[[list[Invoice]], bytes]
    content_type: str
    filename: str  # before the date
    suffix: str  # after the date
    event: str  # the history event
    recorded_as: str  # ``data["format"]`` of the event
    # Built by a Celery task above ``settings.INVOICE_ZIP_INLINE_LIMIT``
    # invoices (``invoices.services.zip_exports``).
    background: bool = False
    # What ``load`` reads, as a query: a streamed file reads it a chunk at
    # a time.
    query: Callable[[QuerySet[Invoice]], QuerySet] | None = None

    @property
    def streamed(self) -> bool:
        return isinstance(self.render, CsvFile)


@dataclass(frozen=True)
class ExportFile:
    content: bytes | Iterator[bytes]  # streamed: the chunks, read once
    content_type: str
    filename: str


_CSV_UTF8 = "text/csv; charset=utf-8"
_CSV_CP932 = "text/csv; charset=Windows-31J"


def invoices_record_taken(
    *, invoices: Iterable[Invoice], actor: User, kind: str, recorded_as: str
) -> None:
    """Record that ``invoices`` were exported, downloaded or printed, in
    the history of each issued one. Not drafts: an event would hold the
    draft's empty content hash, break the audit chain once it is issued
    and keep it from being deleted."""
    invoices_record_export(
        invoices=[invoice for invoice in invoices if not invoice.is_draft],
        actor=actor,
        kind=kind,
        data={"format": recorded_as},
    )


def _filename(file_format: ExportFormat) -> str:
    return f"{file_format.filename}_{timezone.localdate():%Y%m%d}_{file_format.suffix}"


def _pk(loaded: Invoice | tuple) -> int:
    return loaded[0] if isinstance(loaded, tuple) else loaded.pk


def _in_order(invoices: Iterable[Invoice], ids: list[int]) -> list[Invoice]:
    position = {pk: n for n, pk in enumerate(ids)}
    return sorted(invoices, key=lambda invoice: position[_pk(invoice)])


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[n : n + EXPORT_CHUNK] for n in range(0, len(ids), EXPORT_CHUNK)]


@transaction.atomic
def _export_record(ids: list[int], file_format: ExportFormat, actor: User) -> None:
    """``invoices_record_taken`` of the invoices ``ids``, in order, reading
    what the history needs a chunk at a time."""
    for chunk in _chunks(ids):
        taken = Invoice.objects.filter(pk__in=chunk).only(
            "status", "municipality_id", "content_hash"
        )
        invoices_record_taken(
            invoices=_in_order(taken, chunk),
            actor=actor,
            kind=file_format.event,
            recorded_as=file_format.recorded_as,
        )


def invoices_export(
    *, invoices: QuerySet[Invoice], file_format: ExportFormat, actor: User
) -> ExportFile:
    """The file of ``invoices`` in ``file_format``, its export recorded.

    The invoices are read once, so the file and the history hold the same
    set. Recorded after rendering and before serving: a file that fails to
    render is not recorded, and a file is only served once recorded."""
    loaded = file_format.load(invoices)
    content = file_format.render(loaded)
    _export_record([_pk(invoice) for invoice in loaded], file_format, actor)
    return ExportFile(
        content=content,
        content_type=file_format.content_type,
        filename=_filename(file_format),
    )


class _Position(Func):
    """The row's place in ``ids`` (the order they were read in), looked up
    in a JSON object id → place: one lookup a row, where
    ``array_position`` would scan the list for each (seconds at 10,000)."""

    output_field = IntegerField()

    def __init__(self, ids: list[int]):
        places = json.dumps({pk: n for n, pk in enumerate(ids)})
        super().__init__(Value(places), F("pk"))

    def _compiled(self, compiler):
        places, pk = (compiler.compile(e) for e in self.get_source_expressions())
        return places, pk, [*places[1], *pk[1]]

    def as_sql(self, compiler, connection, **extra):
        places, pk, params = self._compiled(compiler)
        return f"json_extract({places[0]}, '$.\"' || {pk[0]} || '\"')", params

    def as_postgresql(self, compiler, connection, **extra):
        places, pk, params = self._compiled(compiler)
        return f"(({places[0]})::jsonb ->> ({pk[0]})::text)::integer", params


class _AnyOf(Func):
    """The row's id is one of ``ids``, given as one parameter (an array,
    or JSON on SQLite): ``pk__in`` would send 10,000 parameters, which cost
    more to bind than the query takes to run."""

    output_field = BooleanField()

    def __init__(self, ids: list[int]):
        self.ids = ids
        super().__init__(F("pk"))

    def as_sql(self, compiler, connection, **extra):
        pk, params = compiler.compile(self.get_source_expressions()[0])
        sql = f"{pk} IN (SELECT value FROM json_each(%s))"  # noqa: S608 (a column)
        return sql, [*params, json.dumps(self.ids)]

    def as_postgresql(self, compiler, connection, **extra):
        pk, params = compiler.compile(self.get_source_expressions()[0])
        return f"{pk} = ANY(%s::bigint[])", [*params, self.ids]


def _listed(invoices: QuerySet[Invoice], ids: list[int]) -> QuerySet[Invoice]:
    """The invoices ``ids`` in their order, whatever has changed since they
    were chosen (the conditions are not applied again: an invoice that no
    longer meets them was recorded, so it is written)."""
    return invoices.model.objects.filter(_AnyOf(ids)).order_by(_Position(ids))


def invoices_export_stream(
    *, invoices: QuerySet[Invoice], file_format: ExportFormat, actor: User
) -> ExportFile:
    """``invoices_export`` of a CSV format, written as it is read, in flat
    memory: the first bytes leave at once however many invoices it holds.

    The export is recorded before anything is sent, with one commit: the
    ids of the invoices are read first (one query, the same conditions and
    order), and the issued ones are recorded in one transaction, as
    chained events that each list at most ``EXPORT_CHUNK`` invoices of one
    municipality (which each one's history shows). The file is then read
    from exactly those ids, in that order, through a server-side cursor,
    so that the file and the record hold the same invoices even if others
    are issued meanwhile: a chunk of ``EXPORT_CHUNK`` at a time is fetched,
    written and handed out. What is recorded is the export that was
    requested: a download cut short, or a chunk that fails to render,
    leaves the whole export recorded (who took which records when).

    The record and the first chunk (``EXPORT_FIRST_CHUNK`` invoices, so
    that it is quick) are done here, the other chunks as the content is
    read, after the view has returned: the caller reads it in the request's
    tenant scope."""
    writer = file_format.render
    if not isinstance(writer, CsvFile) or file_format.query is None:
        raise ValueError("Only a CSV format is streamed.")
    chosen = list(invoices.values_list("pk", "status", "municipality_id"))
    invoices_record_export_rows(
        invoices=[
            (pk, municipality_id)
            for pk, status, municipality_id in chosen
            if status != InvoiceStatus.DRAFT  # as ``invoices_record_taken``
        ],
        actor=actor,
        kind=file_format.event,
        data={"format": file_format.recorded_as},
        per_event=EXPORT_CHUNK,
    )
    ids = [pk for pk, _, _ in chosen]
    # Outside a transaction the cursor is held after its query's commit.
    rows = file_format.query(_listed(invoices, ids)).iterator(chunk_size=EXPORT_CHUNK)

    def chunks() -> Iterator[bytes]:
        try:
            size = EXPORT_FIRST_CHUNK
            while loaded := list(islice(rows, size)):
                yield writer.body(loaded)
                size = EXPORT_CHUNK
        finally:
            rows.close()  # a download cut short closes the cursor now

    rest = chunks()
    first = writer.head() + next(rest, b"")

    def content() -> Generator[bytes]:
        yield first
        yield from rest

    return ExportFile(
        content=content(),
        content_type=file_format.content_type,
        filename=_filename(file_format),
    )
