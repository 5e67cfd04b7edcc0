"""Verification of the audit chains (``manage.py verify_audit_chain``).

Each chain (one per municipality, the platform chain, and the legacy chain
sealed when chains were split, see ``AuditChainHead``) is read in id order
from its two tables with server-side cursors, only the hashed columns, and
checked in one pass: every event's hash is recomputed and its link to its
predecessor followed across both tables. Memory stays flat whatever the
number of events. Then, per municipality, one query finds any event whose
recorded content hash differs from its invoice's, and the issued invoices
are streamed with their lines and tax totals (plain rows, no model
instances) to check that each still has the content frozen at issue
(電子帳簿保存法: 訂正削除の履歴).
"""

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from hashlib import sha256
from types import SimpleNamespace

from django.db import connections
from django.db.models import CharField, F, Func, QuerySet, TextField
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.utils.translation import gettext
from django_scopes import scopes_disabled

from invoices.audit import EVENT_HASHED, event_digest
from invoices.models import Invoice, InvoiceEvent, InvoiceLine, InvoiceTaxSummary
from invoices.snapshot import invoice_content_problem
from municipality.audit import (
    GENESIS,
    SETTINGS_EVENT_HASHED,
    canonical_json,
    settings_event_digest,
)
from municipality.models import (
    AuditChainHead,
    ChainScope,
    Municipality,
    SettingsEvent,
)

# Rows fetched per round trip of a server-side cursor.
CHUNK = 10_000
INVOICE_CHUNK = 2_000

# Distinct ``data`` values kept canonicalised at once (most events share a
# few: an export's format, a batch's number).
DATA_CACHE = 10_000
DATA_CACHED_LENGTH = 1_000

# Positions in the rows read: pk, hash, then the hashed columns.
_HASHED_AT = 2


@dataclass(frozen=True)
class ChainProblem:
    event_id: int | None
    message: str
    table: str = "invoice"

    @property
    def where(self) -> str:
        """Which row, as the command names it (ids repeat across tables)."""
        if self.event_id is None:
            return ""
        if self.table == "settings":
            return gettext("設定・権限の履歴 ID %(id)s") % {"id": self.event_id}
        return gettext("履歴 ID %(id)s") % {"id": self.event_id}


@dataclass
class Chain:
    """One chain: its head row (``None`` before its first event), its events
    in both tables, and the municipality whose invoices' contents are
    checked with it (none for the platform and legacy chains)."""

    label: str
    head: AuditChainHead | None
    invoice_events: QuerySet
    settings_events: QuerySet
    municipality_id: int | None = None


@dataclass
class ChainResult:
    chain: Chain
    events: int = 0
    invoices: int = 0
    seconds: float = 0.0
    problem: ChainProblem | None = field(default=None)


def chains_of(municipality: Municipality | None = None) -> list[Chain]:
    """Every chain, or only ``municipality``'s."""
    with scopes_disabled():
        heads = list(AuditChainHead.objects.all())
        invoice_events = InvoiceEvent.objects.all()
        settings_events = SettingsEvent.objects.all()
    legacy = next((h for h in heads if h.scope == ChainScope.LEGACY), None)
    platform = next((h for h in heads if h.scope == ChainScope.PLATFORM), None)
    by_city = {h.municipality_id: h for h in heads if h.municipality_id}
    # Events after the legacy chain's seal are in the per-municipality ones.
    after_invoice = legacy.sealed_invoice_event_id or 0 if legacy else 0
    after_settings = legacy.sealed_settings_event_id or 0 if legacy else 0
    chains = []
    if municipality is None and legacy is not None:
        chains.append(
            Chain(
                gettext("移行前の共通チェーン"),
                legacy,
                invoice_events.filter(pk__lte=after_invoice),
                settings_events.filter(pk__lte=after_settings),
            )
        )
    cities = [municipality] if municipality else Municipality.objects.order_by("pk")
    for city in cities:
        chains.append(
            Chain(
                gettext("自治体 %(name)s（%(slug)s）のチェーン")
                % {"name": city.name, "slug": city.slug},
                by_city.get(city.pk),
                invoice_events.filter(municipality_id=city.pk, pk__gt=after_invoice),
                settings_events.filter(municipality_id=city.pk, pk__gt=after_settings),
                municipality_id=city.pk,
            )
        )
    if municipality is None:
        chains.append(
            Chain(
                gettext("自治体のない履歴（取引先の役割など）のチェーン"),
                platform,
                invoice_events.none(),
                settings_events.filter(
                    municipality__isnull=True, pk__gt=after_settings
                ),
            )
        )
    return chains


def chains_verify(municipality: Municipality | None = None) -> Iterator[ChainResult]:
    """Each chain's result, one chain after the other (the first problem of
    each; a broken chain does not stop the others from being checked)."""
    for chain in chains_of(municipality):
        started = time.perf_counter()
        result = ChainResult(chain)
        with scopes_disabled():
            result.problem = _walk(chain, result)
            if result.problem is None and chain.municipality_id is not None:
                result.problem = _contents_check(chain.municipality_id, result)
        result.seconds = time.perf_counter() - started
        yield result


def chain_verify(municipality: Municipality | None = None) -> ChainProblem | None:
    """The first problem in the chains, or ``None`` when they are intact."""
    for result in chains_verify(municipality):
        if result.problem is not None:
            return result.problem
    return None


class _IsoStamp(Func):
    """On PostgreSQL, ``created_at`` as ``datetime.isoformat()`` writes it
    in UTC (microseconds only when there are some): read as text, it skips
    the driver's datetime parsing, the costliest part of a row."""

    template = (
        "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS')"
        " || CASE WHEN to_char(%(expressions)s, 'US') = '000000' THEN ''"
        " ELSE '.' || to_char(%(expressions)s, 'US') END || '+00:00'"
    )
    output_field = CharField()


@dataclass(frozen=True)
class _Reader:
    """One table's events of a chain, in id order, streamed from a
    server-side cursor: rows with the id at 0 and the hash at 1, where the
    previous hash and the time are, and how a row's hash is checked."""

    table: str
    rows: Iterator[tuple]
    prev_at: int
    stamp_at: int
    intact: Callable[[tuple], bool]


def _reader(queryset: QuerySet, table: str) -> _Reader:
    """Rows of pk, hash and the hashed columns (``created_at`` last),
    checked with the table's digest."""
    columns, digest = (
        (EVENT_HASHED, event_digest)
        if table == "invoice"
        else (SETTINGS_EVENT_HASHED, settings_event_digest)
    )
    if connections[queryset.db].vendor == "postgresql":
        queryset = queryset.annotate(stamp=_IsoStamp("created_at"))
        columns = (*columns[:-1], "stamp")
    rows = (
        queryset.order_by("pk")
        .values_list("pk", "hash", *columns)
        .iterator(chunk_size=CHUNK)
    )
    return _Reader(
        table,
        rows,
        prev_at=_HASHED_AT + columns.index("prev_hash"),
        stamp_at=_HASHED_AT + len(columns) - 1,
        intact=lambda row: digest(*row[_HASHED_AT:]) == row[1],
    )


def _json_text(column: str) -> str:
    """SQL for a text column as a JSON string, escaped as Python's ``json``
    escapes it (``"``, ``\\``, ``\\b\\f\\n\\r\\t`` and ``\\u00XX`` for other
    control characters; everything else as it is)."""
    return f"to_json({column})::text"


def _invoice_text_sql(stamp: str) -> tuple[str, str]:
    """SQL for the canonical text ``event_digest`` hashes (keys sorted, no
    spaces), before and after its ``data``."""
    head = " || ".join(
        (
            """'{"actor":' """,
            "COALESCE(actor_id::text, 'null')",
            """',"actor_label":' """,
            _json_text("actor_label"),
            """',"content_hash":' """,
            _json_text("content_hash"),
            """',"created_at":' """,
            f"to_json({stamp})::text",
            """',"data":' """,
        )
    )
    tail = " || ".join(
        (
            """',"from":' """,
            _json_text("from_status"),
            """',"invoice":' """,
            # None for an export's chunk, which lists its invoices.
            "COALESCE(invoice_id::text, 'null')",
            """',"kind":' """,
            _json_text("kind"),
            """',"municipality":' """,
            "COALESCE(municipality_id::text, 'null')",
            """',"prev_hash":' """,
            _json_text("prev_hash"),
            """',"reason":' """,
            _json_text("reason"),
            """',"to":' """,
            _json_text("to_status"),
            "'}'",
        )
    )
    return head, tail


def _invoice_reader(queryset: QuerySet) -> _Reader:
    """The invoice events. On PostgreSQL the database writes each event's
    canonical text but its ``data`` (which Python canonicalises, once for
    each distinct value): a row is then one concatenation and one SHA-256,
    not a dictionary serialised (what makes 50,000 events a second). The
    text is the one ``event_digest`` hashes, byte for byte (the tests
    compare both on awkward text)."""
    if connections[queryset.db].vendor != "postgresql":
        return _reader(queryset, "invoice")
    stamp_sql = _IsoStamp.template % {"expressions": "created_at"}
    head, tail = _invoice_text_sql(stamp_sql)
    rows = (
        queryset.annotate(
            stamp=_IsoStamp("created_at"),
            head=RawSQL(head, [], output_field=TextField()),  # noqa: S611 (fixed text)
            data_text=Cast("data", TextField()),
            tail=RawSQL(tail, [], output_field=TextField()),  # noqa: S611 (fixed text)
        )
        .order_by("pk")
        .values_list("pk", "hash", "prev_hash", "stamp", "head", "data_text", "tail")
        .iterator(chunk_size=CHUNK)
    )
    canonical: dict[str, str] = {}

    def intact(row: tuple) -> bool:
        data = canonical.get(row[5])
        if data is None:
            data = canonical_json(json.loads(row[5]))
            # Not an export chunk's list of thousands of invoices.
            if len(row[5]) <= DATA_CACHED_LENGTH:
                if len(canonical) > DATA_CACHE:
                    canonical.clear()
                canonical[row[5]] = data
        text = row[4] + data + row[6]
        return sha256(text.encode()).hexdigest() == row[1]

    return _Reader("invoice", rows, prev_at=2, stamp_at=3, intact=intact)


def _label(event_id: int, table: str) -> str:
    if table == "settings":
        return gettext("設定・権限の履歴 %(id)s") % {"id": event_id}
    return gettext("履歴 %(id)s") % {"id": event_id}


def _altered(event_id: int, table: str) -> ChainProblem:
    return ChainProblem(
        event_id,
        gettext("%(event)s の内容がハッシュと一致しません。")
        % {"event": _label(event_id, table)},
        table,
    )


def _unlinked(
    a: tuple | None, b: tuple | None, prev_hash: str, readers: tuple[_Reader, _Reader]
) -> ChainProblem:
    """The problem where neither next event links to ``prev_hash`` (the
    predecessor was altered or removed), or both do (two events claim one
    predecessor: written without the lock)."""
    heads = []
    for n, (row, reader) in enumerate(zip((a, b), readers, strict=True)):
        if row is not None:
            heads.append((row[reader.stamp_at], n, row[0], reader, row))
    *_, event_id, reader, row = min(heads)
    table = reader.table
    if not reader.intact(row):
        return _altered(event_id, table)
    return ChainProblem(
        event_id,
        gettext(
            "%(event)s の直前のハッシュが一致しません"
            "（前の履歴が変更または削除されています）。"
        )
        % {"event": _label(event_id, table)},
        table,
    )


def _walk(chain: Chain, result: ChainResult) -> ChainProblem | None:
    """Follow the chain through both tables, recomputing every hash; then
    compare its end with the head row."""
    readers = (
        _invoice_reader(chain.invoice_events),
        _reader(chain.settings_events, "settings"),
    )
    invoices, settings = readers[0].rows, readers[1].rows
    a_intact, b_intact = readers[0].intact, readers[1].intact
    ia, sa = readers[0].prev_at, readers[1].prev_at
    a, b = next(invoices, None), next(settings, None)
    prev_hash, count = GENESIS, 0
    while a is not None or b is not None:
        if a is not None and a[ia] == prev_hash and (b is None or b[sa] != prev_hash):
            if not a_intact(a):
                return _altered(a[0], "invoice")
            prev_hash = a[1]
            a = next(invoices, None)
        elif b is not None and b[sa] == prev_hash and (a is None or a[ia] != prev_hash):
            if not b_intact(b):
                return _altered(b[0], "settings")
            prev_hash = b[1]
            b = next(settings, None)
        else:
            return _unlinked(a, b, prev_hash, readers)
        count += 1
    result.events = count
    head = chain.head
    head_hash, head_count = (head.hash, head.count) if head else (GENESIS, 0)
    if (head_hash, head_count) != (prev_hash, count):
        return ChainProblem(
            None,
            gettext(
                "履歴の件数または最新のハッシュが記録と一致しません"
                "（記録 %(recorded)s 件、実際 %(actual)s 件）。"
                "最後の履歴が削除されている可能性があります。"
            )
            % {"recorded": head_count, "actual": count},
        )
    return None


def _contents_check(municipality_id: int, result: ChainResult) -> ChainProblem | None:
    """Each event of the municipality (legacy ones too) records its
    invoice's content hash, and each issued invoice still has the content
    frozen at issue."""
    mismatch = (
        InvoiceEvent.objects.filter(
            municipality_id=municipality_id, invoice__isnull=False
        )
        .exclude(content_hash=F("invoice__content_hash"))
        .order_by("pk")
        .values_list("pk", "invoice_id")
        .first()
    )
    if mismatch is not None:
        return ChainProblem(
            mismatch[0],
            gettext(
                "履歴 %(id)s の時点の内容ハッシュと請求書 %(pk)s の"
                "内容ハッシュが一致しません。"
            )
            % {"id": mismatch[0], "pk": mismatch[1]},
        )
    issued = Invoice.objects.filter(municipality_id=municipality_id).exclude(
        content_hash=""
    )
    of_issued = {
        "invoice__municipality_id": municipality_id,
        "invoice__content_hash__gt": "",
    }
    lines = _ByInvoice(
        InvoiceLine.objects.filter(**of_issued).order_by("invoice_id", "position"),
        _LINE_COLUMNS,
    )
    summaries = _ByInvoice(
        InvoiceTaxSummary.objects.filter(**of_issued).order_by(
            "invoice_id", "tax_category"
        ),
        _SUMMARY_COLUMNS,
    )
    rows = issued.order_by("pk").values_list(*_INVOICE_COLUMNS)
    for row in rows.iterator(chunk_size=INVOICE_CHUNK):
        invoice = SimpleNamespace(**dict(zip(_INVOICE_COLUMNS, row, strict=True)))
        invoice.net_total = invoice.total - invoice.withholding_tax
        result.invoices += 1
        problem = invoice_content_problem(
            invoice, lines.take(invoice.pk), summaries.take(invoice.pk)
        )
        if problem:
            return ChainProblem(None, problem)
    return None


# The columns the content check reads, as the snapshot functions name them.
_INVOICE_COLUMNS = (
    "pk",
    "content_hash",
    "snapshot",
    "number",
    "receipt_number",
    "issue_date",
    "transaction_date",
    "transaction_end_date",
    "due_date",
    "subject",
    "order_number",
    "notes",
    "price_basis",
    "withholding_kind",
    "withholding_base",
    "withholding_tax",
    "subtotal",
    "tax_total",
    "total",
)
_LINE_COLUMNS = (
    "invoice_id",
    "position",
    "description",
    "quantity",
    "unit",
    "unit_price",
    "tax_category",
    "amount",
    "note",
    "delivery_number",
    "withholding",
)
_SUMMARY_COLUMNS = (
    "invoice_id",
    "tax_category",
    "rate",
    "taxable_amount",
    "tax_amount",
)


class _ByInvoice:
    """Rows ordered by invoice, streamed, handed out one invoice at a time
    (as plain objects with the columns as attributes)."""

    def __init__(self, queryset: QuerySet, columns: tuple[str, ...]):
        self._columns = columns
        self._rows = queryset.values_list(*columns).iterator(chunk_size=CHUNK)
        self._next = next(self._rows, None)

    def take(self, invoice_id: int) -> list[SimpleNamespace]:
        taken = []
        while self._next is not None and self._next[0] <= invoice_id:
            if self._next[0] == invoice_id:
                taken.append(
                    SimpleNamespace(**dict(zip(self._columns, self._next, strict=True)))
                )
            self._next = next(self._rows, None)
        return taken
