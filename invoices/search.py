"""Search of invoices as 電子帳簿保存法 requires (jp-invoice-law.md §3.3):
取引年月日 and 取引金額 as ranges, 取引先, every condition combined with AND,
and only the matching invoices in the result.

One form per side: suppliers name the city (自治体・部署) as counterparty,
staff name the supplier (名称・カナ・登録番号). Both filter a queryset that
a selector has already narrowed to what the user may see.
"""

from datetime import date

import jaconv
from django import forms
from django.contrib.postgres.fields import DateRangeField
from django.contrib.postgres.lookups import Overlap
from django.db import connection
from django.db.backends.postgresql.psycopg_any import DateRange
from django.db.models import (
    BooleanField,
    Expression,
    F,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Cast, Coalesce
from django.db.models.lookups import Exact
from django.utils.translation import gettext, gettext_lazy as _

from invoices.fields import AmountField, JapaneseDateField, PlainSelect, nfkc
from invoices.models import CounterpartyName, Invoice, InvoiceStatus
from invoices.paging import Part
from municipality.validators import normalize_identifier
from partners.models import Supplier

# Newest transaction first; the index on (取引日, id) serves every page.
SEARCH_ORDER = Part(keys=("-transaction_date", "-pk"))

STATUS_CHOICES = [("", _("すべて"))] + [
    (value, label)
    for value, label in InvoiceStatus.choices
    if value != InvoiceStatus.DRAFT
]


class InvoiceSearchForm(forms.Form):
    """The conditions both sides share. An empty form matches everything
    the user may see. Subclasses add the ``counterparty`` field and its
    ``counterparty_filter``."""

    date_from = JapaneseDateField(label=_("取引日（から）"), required=False)
    date_to = JapaneseDateField(
        label=_("取引日（まで）"),
        required=False,
        help_text=_("取引期間のある請求書は、期間が範囲と重なれば該当します。"),
    )
    amount_min = AmountField(label=_("請求金額（以上）"), required=False)
    amount_max = AmountField(
        label=_("請求金額（以下）"), required=False, help_text=_("税込の請求金額。")
    )
    number = forms.CharField(
        label=_("請求書番号・受付番号"),
        required=False,
        max_length=40,
        help_text=_("番号の一部でも検索できます。"),
    )
    status = forms.ChoiceField(
        label=_("状態"), choices=STATUS_CHOICES, required=False, widget=PlainSelect
    )

    field_order = ["date_from", "date_to", "amount_min", "amount_max", "counterparty"]

    def clean(self):
        data = super().clean()
        date_from, date_to = data.get("date_from"), data.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error(
                "date_to",
                gettext(
                    "取引日の「まで」は「から」と同じか、それより後の日付にしてください。"
                ),
            )
        amount_min, amount_max = data.get("amount_min"), data.get("amount_max")
        if (
            amount_min is not None
            and amount_max is not None
            and amount_min > amount_max
        ):
            self.add_error(
                "amount_max",
                gettext(
                    "請求金額の「以下」は「以上」と同じか、それより大きい金額にしてください。"
                ),
            )
        return data

    def filter(self, invoices: QuerySet[Invoice]) -> QuerySet[Invoice]:
        """``invoices`` narrowed to the conditions (call after ``is_valid``)."""
        data = self.cleaned_data
        if data["date_from"] or data["date_to"]:
            invoices = invoices.filter(
                period_overlaps(data["date_from"], data["date_to"])
            )
        if data["amount_min"] is not None or data["amount_max"] is not None:
            # Both values named: the inboxes' (city or department, unopened,
            # total, id) indexes then find the range in each half, where
            # without a skip scan (PostgreSQL 18) they read the whole city
            # (22 ms against 2 ms at 1,000,000 invoices).
            invoices = invoices.filter(unopened__in=(False, True))
        if data["amount_min"] is not None:
            invoices = invoices.filter(total__gte=data["amount_min"])
        if data["amount_max"] is not None:
            invoices = invoices.filter(total__lte=data["amount_max"])
        if number := nfkc(data["number"]):
            invoices = invoices.filter(
                Q(number__icontains=number) | Q(receipt_number__icontains=number)
            )
        if counterparty := nfkc(data["counterparty"]):
            invoices = invoices.filter(self.counterparty_filter(counterparty))
        if data["status"]:
            invoices = invoices.filter(status=data["status"])
        return invoices.order_by(*SEARCH_ORDER.keys)


def period_overlaps(start: date | None, end: date | None) -> Q:
    """Invoices whose period [transaction_date, transaction_end_date] (one
    day without an end date) overlaps [start, end], either bound open. On
    PostgreSQL as a range overlap (``&&``) that the GiST index
    ``invoice_transaction_period`` serves: with two columns bounded from
    opposite sides, no B-tree index finds a range in the middle of ten
    years without reading every invoice on one side of it."""
    if connection.vendor == "postgresql":
        period = Func(
            "transaction_date",
            Coalesce("transaction_end_date", "transaction_date"),
            Value("[]"),
            function="daterange",
            output_field=DateRangeField(),
        )
        overlaps = Q(
            Overlap(
                period,
                Value(DateRange(start, end, bounds="[]"), DateRangeField()),
            )
        )
        # Implied by the overlap, and what a list in 取引日 order can start
        # its index walk from: a range in the past is not found by reading
        # every newer invoice first.
        return overlaps & Q(transaction_date__lte=end) if end else overlaps
    q = Q()
    if start:
        # The period ends on or after the range's start.
        q &= Q(transaction_end_date__gte=start) | Q(
            transaction_end_date__isnull=True, transaction_date__gte=start
        )
    if end:
        q &= Q(transaction_date__lte=end)
    return q


def city_period_indexed(data: dict, *, access) -> bool:
    """Whether a list by ``data`` (a search form's cleaned data) can find
    its rows in the GiST index ``invoice_city_period_covering``: a 取引日
    range, seen by ``access`` (a ``CityAccess``) in every department, on
    PostgreSQL. A department's count reads its own 取引日 index instead (a
    fiscal year by 株式会社: 4 ms against 17 through the city's)."""
    return (
        connection.vendor == "postgresql"
        and access.sees_all_departments
        and bool(data.get("date_from") or data.get("date_to"))
    )


def city_period_hint(
    invoices: QuerySet[Invoice], data: dict, *, access
) -> QuerySet[Invoice]:
    """``invoices`` of one city, with the municipality named again as the
    GiST index ``invoice_city_period_covering`` holds it (an integer:
    btree_gist compares like types only) when ``city_period_indexed``: a
    city-wide count by 取引日 then finds one city's invoices of the range
    in that index instead of ANDing the range's invoices of every city
    with all of the city's (35 ms against 1 ms at 1,000,000 invoices).
    For counts, and for pages sorted from that index
    (``InboxView.keyset_sorted_queryset``), not for pages walked in order:
    the planner takes the two conditions on the city for independent,
    expects a handful of rows and would read such a page through this
    index too, sorting a year's invoices (160 ms) instead of walking the
    list's own index."""
    if not city_period_indexed(data, access=access):
        return invoices
    return invoices.filter(
        Exact(Cast("municipality_id", IntegerField()), access.municipality.pk)
    )


def _live_or_issued(pairs: list[tuple[str, str, str]]) -> Q:
    """Match the current name or the one frozen at issue: a renamed party
    must stay findable under the name printed on its invoices."""
    q = Q()
    for live, frozen, value in pairs:
        if value:
            q |= Q(**{f"{live}__icontains": value})
            q |= Q(**{f"{frozen}__icontains": value})
    return q


class SupplierInvoiceSearchForm(InvoiceSearchForm):
    counterparty = forms.CharField(
        label=_("取引先（自治体名・部署名）"), required=False, max_length=100
    )
    include_drafts = forms.BooleanField(label=_("下書きを含む"), required=False)

    def counterparty_filter(self, text: str) -> Q:
        return _live_or_issued(
            [
                ("municipality__name", "snapshot__addressee__municipality", text),
                ("department__name", "snapshot__addressee__department", text),
            ]
        )

    def filter(self, invoices: QuerySet[Invoice]) -> QuerySet[Invoice]:
        if not self.cleaned_data["include_drafts"]:
            invoices = invoices.exclude(status=InvoiceStatus.DRAFT)
        return super().filter(invoices)


class CityInvoiceSearchForm(InvoiceSearchForm):
    counterparty = forms.CharField(
        label=_("取引先（名称・カナ・登録番号）"), required=False, max_length=100
    )

    def counterparty_filter(self, text: str) -> Q:
        return supplier_name_filter(text)


def supplier_name_filter(text: str) -> Q:
    """The invoices of every supplier whose current name, or a name its
    invoices were issued under (``CounterpartyName``), matches ``text`` by
    名称, カナ (hiragana typed is matched as katakana) or 登録番号. The
    supplier tables are small: their matching ids are read first (one
    query), so that the planner knows how many there are and reads the
    invoices through the supplier index for a few of them, in the list's
    order for many, never by scanning each snapshot."""
    names = _names_matching(
        [
            ("legal_name", "name", text),
            ("name_kana", "name_kana", jaconv.hira2kata(text)),
            (
                "registration_number",
                "registration_number",
                normalize_identifier(text),
            ),
        ]
    )
    live = (
        Supplier.objects.filter(names["live"]).order_by().values_list("pk", flat=True)
    )
    issued = (
        CounterpartyName.objects.filter(names["issued"])
        .order_by()
        .values_list("supplier_id", flat=True)
    )
    return Q(IdIn("supplier_id", sorted(set(live.union(issued)))))


class IdIn(Expression):
    """``column IN (ids)`` for a bigint column, the ids one array
    parameter on PostgreSQL (``= ANY(%s)``, the same plans): a name most
    suppliers have matches thousands of them, and a placeholder each cost
    Django and psycopg about 20 ms a request to prepare for the count and
    the page."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, column: str, ids: list[int]):
        super().__init__()
        self.column = F(column)
        self.ids = ids

    def get_source_expressions(self):
        return [self.column]

    def set_source_expressions(self, expressions):
        (self.column,) = expressions

    def as_sql(self, compiler, connection):
        column, params = compiler.compile(self.column)
        if not self.ids:
            return "1 = 0", params
        placeholders = ", ".join(["%s"] * len(self.ids))
        return f"{column} IN ({placeholders})", (*params, *self.ids)

    def as_postgresql(self, compiler, connection):
        column, params = compiler.compile(self.column)
        # Typed as the keys are: psycopg sends small ids as smallint[],
        # and bigint = ANY(smallint[]) is checked element by element
        # instead of through a hash (170 ms against 20 for a year's count).
        return f"{column} = ANY(%s::bigint[])", (*params, self.ids)


def _names_matching(pairs: list[tuple[str, str, str]]) -> dict[str, Q]:
    """For each (supplier field, ``CounterpartyName`` field, value) with a
    value, the substring match on either side."""
    live, issued = Q(pk__in=[]), Q(pk__in=[])
    for live_field, issued_field, value in pairs:
        if value:
            live |= Q(**{f"{live_field}__icontains": value})
            issued |= Q(**{f"{issued_field}__icontains": value})
    return {"live": live, "issued": issued}
