"""Export formats and the one path from a query to a recorded file."""

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, islice

from django.db import transaction
from django.db.models import QuerySet
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


def _taken_rows(loaded: list) -> list[tuple[int, int]]:
    """(id, municipality id) of the issued ones of the loaded invoices
    (``invoices_record_taken``'s rule: not drafts): model instances, or
    rows that start with the id, the status and the municipality id."""
    if loaded and isinstance(loaded[0], tuple):
        draft = InvoiceStatus.DRAFT
        return [(row[0], row[2]) for row in loaded if row[1] != draft]
    return [
        (invoice.pk, invoice.municipality_id)
        for invoice in loaded
        if invoice.status != InvoiceStatus.DRAFT
    ]


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


def invoices_export_stream(
    *, invoices: QuerySet[Invoice], file_format: ExportFormat, actor: User
) -> ExportFile:
    """``invoices_export`` of a CSV format, written as it is read, in flat
    memory: the first bytes leave at once however many invoices it holds.

    The invoices are read with one query, through a server-side cursor
    (what was read is what is written and recorded): a chunk of
    ``EXPORT_CHUNK`` invoices at a time is fetched, written, recorded (one
    chained event per municipality listing the chunk's issued invoices,
    which each one's history shows) and handed out. As with
    ``invoices_export``, a chunk that fails to render is not recorded and
    none is served before it is recorded; a download cut short records
    what was sent. The first chunk
    (``EXPORT_FIRST_CHUNK`` invoices, so that it is quick) is done here,
    the others as the content is read, after the view has returned: the
    caller reads it in the request's tenant scope."""
    writer = file_format.render
    if not isinstance(writer, CsvFile) or file_format.query is None:
        raise ValueError("Only a CSV format is streamed.")
    # Outside a transaction the cursor is held across the chunks' commits.
    rows = file_format.query(invoices).iterator(chunk_size=EXPORT_CHUNK)

    def chunks() -> Iterator[bytes]:
        size = EXPORT_FIRST_CHUNK
        while loaded := list(islice(rows, size)):
            data = writer.body(loaded)
            # What was read for the file is what is recorded: no second
            # query, no model instances.
            invoices_record_export_rows(
                invoices=_taken_rows(loaded),
                actor=actor,
                kind=file_format.event,
                data={"format": file_format.recorded_as},
            )
            yield data
            size = EXPORT_CHUNK

    rest = chunks()
    first = writer.head() + next(rest, b"")
    return ExportFile(
        content=chain([first], rest),
        content_type=file_format.content_type,
        filename=_filename(file_format),
    )
