"""The department inbox (受信箱): its filter form, its order, and how close
each invoice is to its payment deadline.

Filtering narrows a queryset the view got from
``invoices.selectors.invoice_list_for_access``; it never widens it.
"""

from datetime import date, datetime, time, timedelta

from django import forms
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_lazy as _, ngettext

from invoices.fields import JapaneseDateField, PlainSelect
from invoices.models import Invoice, InvoiceStatus
from invoices.paging import Part
from invoices.search import CityInvoiceSearchForm

PAGE_SIZES = (20, 50, 100)
DEFAULT_PAGE_SIZE = 50
DEFAULT_SORT = "-received"
DEADLINE_SOON = timedelta(days=7)

# Statuses whose payment deadline is still running: a returned invoice's
# clock moves to its correction, a withdrawn or paid one has none left.
DEADLINE_RUNNING = frozenset(
    {
        InvoiceStatus.ISSUED,
        InvoiceStatus.OPENED,
        InvoiceStatus.APPROVED,
        InvoiceStatus.SCHEDULED,
    }
)

# Each sort: its label, its keys (field paths, "-" for descending, the
# last one unique), and whether its first key may be missing (an invoice
# without a payment deadline comes last either way).
SORTS = {
    "-received": (_("受付日（新しい順）"), ("-received_at", "-pk"), False),
    "received": (_("受付日（古い順）"), ("received_at", "pk"), False),
    "deadline": (_("支払期限（近い順）"), ("payment_deadline", "pk"), True),
    "-deadline": (_("支払期限（遠い順）"), ("-payment_deadline", "-pk"), True),
    "-amount": (_("金額（大きい順）"), ("-total", "-pk"), False),
    "amount": (_("金額（小さい順）"), ("total", "pk"), False),
    "supplier": (
        _("取引先（五十音順）"),
        ("supplier__name_kana", "supplier_id", "pk"),
        False,
    ),
    "-supplier": (
        _("取引先（五十音の逆順）"),
        ("-supplier__name_kana", "-supplier_id", "-pk"),
        False,
    ),
}


_page_size_label = lazy(
    lambda n: ngettext("%(count)s件", "%(count)s件", n) % {"count": n}, str
)


class InboxFilterForm(CityInvoiceSearchForm):
    """The inbox's GET parameters: the staff search conditions (取引日,
    金額, 取引先, 番号, 状態) plus 未開封のみ, 受付日, 部署, order and page
    size. Bind it with ``inbox_filter_data`` so that an empty query string
    means the defaults."""

    unopened = forms.BooleanField(label=_("未開封のみ"), required=False)
    received_from = JapaneseDateField(label=_("受付日（から）"), required=False)
    received_to = JapaneseDateField(label=_("受付日（まで）"), required=False)
    department = forms.TypedChoiceField(
        label=_("部署"),
        required=False,
        coerce=int,
        empty_value=None,
        widget=PlainSelect,
    )
    sort = forms.TypedChoiceField(
        label=_("並び順"),
        required=False,
        empty_value=DEFAULT_SORT,
        widget=PlainSelect,
        choices=[(key, label) for key, (label, *_) in SORTS.items()],
    )
    per_page = forms.TypedChoiceField(
        label=_("表示件数"),
        required=False,
        coerce=int,
        empty_value=DEFAULT_PAGE_SIZE,
        widget=PlainSelect,
        choices=[(n, _page_size_label(n)) for n in PAGE_SIZES],
    )

    field_order = [
        "status",
        "unopened",
        "counterparty",
        "number",
        "department",
        "received_from",
        "received_to",
        "date_from",
        "date_to",
        "amount_min",
        "amount_max",
        "sort",
        "per_page",
    ]

    def __init__(self, *args, departments, **kwargs):
        """``departments``: those the user may see; the filter offers them
        only when there is more than one."""
        super().__init__(*args, **kwargs)
        if len(departments) > 1:
            self.fields["department"].choices = [
                ("", gettext("すべての部署")),
                *[(d.pk, f"{d.code} {d.name}") for d in departments],
            ]
        else:
            del self.fields["department"]

    def clean(self):
        data = super().clean()
        low, high = data.get("received_from"), data.get("received_to")
        if low and high and low > high:
            self.add_error(
                "received_to",
                gettext(
                    "受付日の「まで」は「から」と同じか、それより後の日付にしてください。"
                ),
            )
        return data

    @property
    def has_conditions(self) -> bool:
        """Whether the valid form narrows the list (order and page size do
        not)."""
        return any(
            value not in (None, "", False)
            for name, value in self.cleaned_data.items()
            if name not in ("sort", "per_page")
        )

    def narrow(self, invoices: QuerySet[Invoice]) -> QuerySet[Invoice]:
        """``invoices`` narrowed by the valid form, in no order."""
        data = self.cleaned_data
        invoices = super().filter(invoices).order_by()
        if data["unopened"]:
            invoices = invoices.filter(status=InvoiceStatus.ISSUED)
        if data["received_from"]:
            invoices = invoices.filter(
                received_at__gte=_day_start(data["received_from"])
            )
        if data["received_to"]:
            invoices = invoices.filter(
                received_at__lt=_day_start(data["received_to"] + timedelta(days=1))
            )
        if data.get("department"):
            invoices = invoices.filter(department_id=data["department"])
        return invoices

    def filter(self, invoices: QuerySet[Invoice]) -> QuerySet[Invoice]:
        """``invoices`` narrowed by the valid form, unopened first, then in
        the chosen order."""
        return inbox_order(self.narrow(invoices), self.cleaned_data["sort"])

    def parts(self) -> list[Part]:
        """The order of the valid form's list, as ``invoices.paging`` reads
        it (``inbox_parts``)."""
        data = self.cleaned_data
        status = InvoiceStatus.ISSUED if data["unopened"] else data["status"]
        return inbox_parts(data["sort"], status=status)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def inbox_filter_data(query) -> dict:
    """The request's GET parameters over the defaults."""
    data = {"sort": DEFAULT_SORT, "per_page": str(DEFAULT_PAGE_SIZE)}
    data.update(query.items())
    return data


def inbox_order(invoices: QuerySet[Invoice], sort: str) -> QuerySet[Invoice]:
    """Unopened invoices first (they need someone to look), then ``sort``;
    ``pk`` keeps pages stable between requests."""
    _label, keys, nullable = SORTS[sort]
    first = F(keys[0].removeprefix("-"))
    first = (
        first.desc(nulls_last=nullable or None)
        if keys[0].startswith("-")
        else first.asc(nulls_last=nullable or None)
    )
    return invoices.order_by("-unopened", first, *keys[1:])


def inbox_parts(sort: str, *, status: str = "") -> list[Part]:
    """The inbox's order in parts (``invoices.paging``): unopened, then the
    rest, each with and then without the sort's first key when it may be
    missing. With a status chosen, only the parts it can be in, so that no
    page walks an index section that has none of them."""
    _label, keys, nullable = SORTS[sort]
    parts = []
    for unopened in (True, False):
        if status and (status == InvoiceStatus.ISSUED) != unopened:
            continue
        if nullable:
            field = keys[0].removeprefix("-")
            parts.append(
                Part(Q(unopened=unopened, **{f"{field}__isnull": False}), keys)
            )
            parts.append(
                Part(
                    Q(unopened=unopened, **{f"{field}__isnull": True}),
                    keys[1:],
                    fixed=(field,),
                )
            )
        else:
            parts.append(Part(Q(unopened=unopened), keys))
    return parts


def deadline_alert(invoice: Invoice, *, today: date) -> str:
    """``"overdue"`` past the payment deadline, ``"soon"`` within 7 days of
    it, else ``""``; only while the deadline is running."""
    deadline = invoice.payment_deadline
    if deadline is None or invoice.status not in DEADLINE_RUNNING:
        return ""
    if deadline < today:
        return "overdue"
    if deadline - today <= DEADLINE_SOON:
        return "soon"
    return ""
