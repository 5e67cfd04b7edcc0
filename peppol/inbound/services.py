"""Receiving documents: the check (read, validate, route, map) without
writes, the import through the screen-entry services, and the city
administrators' decisions on the queue (assign to a department, reject)."""

import hashlib
import logging

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Case, When
from django.utils.translation import gettext, gettext_lazy as _, override
from django_scopes import scope, scopes_disabled

from accounts.models import User
from invoices.models import Invoice, InvoiceStatus
from invoices.services.drafts import invoice_draft_save
from invoices.services.issue import invoice_issue
from municipality.models import Department
from partners.models import (
    Connection,
    Supplier,
    SupplierMembership,
    SupplierRole,
)
from peppol.access_point.services import inbound_response_request
from peppol.models import InboundDocument, InboundSource, InboundStatus
from peppol.reader import ReadError, document_read
from peppol.validation import DocumentRejected, document_problems, parse_untrusted

from .mapping import CheckResult, _problem, _representable
from .routing import _route

logger = logging.getLogger(__name__)


def inbound_check(
    *, xml: bytes, filename: str = "", supplier: Supplier | None = None
) -> CheckResult:
    """Read, validate and route one document; write nothing. With
    ``supplier`` (an upload), the document must be that supplier's own."""
    result = CheckResult(filename=filename, sha256=hashlib.sha256(xml).hexdigest())
    try:
        root = parse_untrusted(xml)
        found = document_problems(xml)
    except DocumentRejected as error:
        result.problems.append(_problem("XML", error.message_ja))
        return result
    for problem in found:
        entry = _problem(problem.rule, str(problem.message), problem.location)
        (result.problems if problem.is_fatal else result.warnings).append(entry)
    try:
        document = document_read(root)
    except ReadError as error:
        result.problems.append(_problem("portal-read", str(error)))
        return result
    result.document = document
    with scopes_disabled():
        _route(result, document, supplier)
        _representable(result, document, supplier)
    return result


# Receiving ------------------------------------------------------------------


def _actor_of(supplier: Supplier, actor: User | None) -> User | None:
    """Who the invoice is created by: the uploading member, else one of the
    supplier's owners (a document from the access point is the supplier's
    own act)."""
    membership = getattr(actor, "supplier_membership", None) if actor else None
    if membership is not None and membership.supplier_id == supplier.pk:
        return actor
    owner = (
        SupplierMembership.objects.filter(supplier=supplier)
        .order_by(
            Case(When(role=SupplierRole.OWNER, then=0), default=1), "created_at", "pk"
        )
        .select_related("user")
        .first()
    )
    return owner.user if owner else None


class InboundImportError(Exception):
    """The document could not become an invoice; ``problems`` say why."""

    def __init__(self, problems: list[dict]):
        self.problems = problems
        super().__init__("; ".join(p["message"] for p in problems))


def _invoice_create(*, result: CheckResult, actor: User | None) -> Invoice:
    """Create and issue the invoice through the screen-entry services, in
    the municipality's scope. Raises ``InboundImportError``."""
    creator = _actor_of(result.supplier, actor)
    if creator is None:
        raise InboundImportError(
            [
                _problem(
                    "portal-no-member",
                    gettext(
                        "取引先 %(name)s に利用者がいないため、請求書を作成できません。"
                    )
                    % {"name": result.supplier.legal_name},
                )
            ]
        )
    try:
        with scope(municipality=result.municipality.pk), transaction.atomic():
            invoice = invoice_draft_save(
                supplier=result.supplier,
                actor=creator,
                connection=result.connection,
                fields=result.fields,
                lines=result.lines,
            )
            invoice = invoice_issue(invoice=invoice, actor=creator)
    except ValidationError as error:
        raise InboundImportError(
            [_problem("portal-service", message) for message in error.messages]
        ) from error
    return invoice


def _document_fill(document: InboundDocument, result: CheckResult) -> None:
    parsed = result.document
    if parsed is not None:
        if parsed.seller_endpoint:
            document.sender_scheme = parsed.seller_endpoint.scheme[:10]
            document.sender_id = parsed.seller_endpoint.value[:100]
        if parsed.buyer_endpoint:
            document.buyer_scheme = parsed.buyer_endpoint.scheme[:10]
            document.buyer_id = parsed.buyer_endpoint.value[:100]
        document.buyer_reference = parsed.buyer_reference[:100]
        document.document_number = parsed.number[:100]
        document.seller_registration_number = parsed.seller_registration_number[:20]
        document.seller_name = parsed.seller_name[:200]
    document.municipality = result.municipality
    document.department = result.department
    document.supplier = result.supplier
    document.problems = result.problems + [
        {**w, "warning": True} for w in result.warnings
    ]


def _import_or_queue(
    document: InboundDocument, result: CheckResult, actor: User | None
) -> None:
    """Set the document's outcome from its check (and import it)."""
    if result.problems:
        document.status = InboundStatus.FAILED
        document.reason = "\n".join(p["message"] for p in result.problems)
    elif not result.importable:
        document.status = InboundStatus.UNKNOWN_ADDRESSEE
        document.reason = "\n".join(result.unknown)
    else:
        try:
            with transaction.atomic():
                document.invoice = _invoice_create(result=result, actor=actor)
        except InboundImportError as error:
            document.status = InboundStatus.FAILED
            document.problems = document.problems + error.problems
            document.reason = str(error)
        else:
            document.status = InboundStatus.IMPORTED
            document.reason = ""


# The kept document is the city's record (and its reason may go back to the
# access point provider): its problems and reason are stored in Japanese.
@override("ja")
def inbound_receive(
    *,
    xml: bytes,
    filename: str,
    source: str,
    supplier: Supplier | None = None,
    actor: User | None = None,
) -> InboundDocument:
    """Keep one received document and act on it: import it as an issued
    invoice when its municipality, department and supplier are known and
    connected, else queue it (宛先不明) or record why it failed. The same
    bytes a second time return the document already kept.

    ``supplier`` (an upload) means the document must be that supplier's.
    Never raises for a bad document: the outcome is the document's status.
    """
    if source not in InboundSource.values:
        raise ValueError(f"unknown inbound source {source!r}")
    sha256 = hashlib.sha256(xml).hexdigest()
    with scopes_disabled():
        if existing := InboundDocument.objects.filter(sha256=sha256).first():
            return existing
    result = inbound_check(xml=xml, filename=filename, supplier=supplier)
    with scopes_disabled(), transaction.atomic():
        document = InboundDocument(
            source=source,
            sha256=sha256,
            size=len(xml),
            filename=filename[-200:],
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        document.file.save("document.xml", ContentFile(xml), save=False)
        _document_fill(document, result)
        _import_or_queue(document, result, actor)
        try:
            with transaction.atomic():
                document.save()
        except IntegrityError:
            # The same bytes arrived at the same moment: the first is kept.
            existing = InboundDocument.objects.filter(sha256=sha256).first()
            if existing is None:
                raise
            return existing
    logger.info("inbound document %s from %s: %s", document.pk, source, document.status)
    return document


def _read_original(document: InboundDocument) -> bytes:
    with document.file.open("rb") as f:
        return f.read()


QUEUE_STATUSES = (InboundStatus.UNKNOWN_ADDRESSEE, InboundStatus.FAILED)


@transaction.atomic
def inbound_assign(
    *, document: InboundDocument, department: Department, actor: User
) -> InboundDocument:
    """A city administrator sends a queued document to ``department``:
    imported as an issued invoice when its sender is a supplier connected
    to that department. Raises ``ValidationError`` (nothing changes)."""
    document = (
        InboundDocument.objects.with_scopes_disabled()
        .select_for_update()
        .get(pk=document.pk)
    )
    if document.status != InboundStatus.UNKNOWN_ADDRESSEE:
        raise ValidationError(
            gettext("この文書はすでに対応済みです（%(status)s）。")
            % {"status": document.get_status_display()}
        )
    if department.municipality_id != document.municipality_id:
        raise ValidationError(gettext("部署を一覧から選び直してください。"))
    result = inbound_check(xml=_read_original(document), filename=document.filename)
    if result.problems:
        raise ValidationError([p["message"] for p in result.problems])
    if result.supplier is None:
        raise ValidationError(
            gettext(
                "送信者はまだこのポータルの取引先ではありません。先に招待して、"
                "取引の登録が済んでから部署を割り当ててください。"
            )
        )
    connection = (
        Connection.objects.with_scopes_disabled()
        .filter(
            municipality=document.municipality,
            supplier=result.supplier,
            department=department,
            is_active=True,
        )
        .select_related("department", "municipality")
        .first()
    )
    if connection is None or not department.is_active:
        raise ValidationError(
            gettext(
                "%(name)s は %(department)s と取引の登録がないか、登録が無効です。"
                "先に招待して、取引の登録が済んでから割り当ててください。"
            )
            % {"name": result.supplier.legal_name, "department": department.name}
        )
    result.municipality = document.municipality
    result.department = department
    result.connection = connection
    result.unknown = []
    try:
        invoice = _invoice_create(result=result, actor=None)
    except InboundImportError as error:
        raise ValidationError([p["message"] for p in error.problems]) from error
    document.supplier = result.supplier
    document.department = department
    document.invoice = invoice
    document.status = InboundStatus.IMPORTED
    document.decided_by = actor
    document.reason = ""
    document.save()
    return document


# Invoice Response status action codes a return asks for (OPStatusAction).
REJECTION_ACTIONS = {
    "NIN": _("訂正した請求書を新たに発行してください"),
    "PIN": _("情報を追加して送り直してください"),
    "CNF": _("全額を取り消してください"),
    "OTH": _("その他（理由を参照）"),
}


@transaction.atomic
def inbound_reject(
    *, document: InboundDocument, actor: User, reason: str, action: str
) -> InboundDocument:
    """The city refuses a queued document (受取拒否) with a stated reason and
    the action it asks of the sender (an Invoice Response action code). The
    reason is recorded; the access-point adapter hooks in here to send the
    Invoice Response RE. Raises ``ValidationError``."""
    document = (
        InboundDocument.objects.with_scopes_disabled()
        .select_for_update()
        .get(pk=document.pk)
    )
    if document.status not in QUEUE_STATUSES:
        raise ValidationError(
            gettext("この文書はすでに対応済みです（%(status)s）。")
            % {"status": document.get_status_display()}
        )
    if not reason.strip():
        raise ValidationError(gettext("受取拒否の理由を入力してください。"))
    if action not in REJECTION_ACTIONS:
        raise ValidationError(gettext("求める対応を選んでください。"))
    document.status = InboundStatus.REJECTED
    document.reason = reason.strip()
    document.rejection_action = action
    document.decided_by = actor
    document.save()
    inbound_response_request(document=document)
    return document


def inbound_for_invoice(invoice: Invoice) -> InboundDocument | None:
    """The received document an invoice was imported from, if any."""
    if invoice.status == InvoiceStatus.DRAFT:
        return None
    return (
        InboundDocument.objects.with_scopes_disabled()
        .filter(invoice=invoice, status=InboundStatus.IMPORTED)
        .first()
    )


def inbound_original(document: InboundDocument) -> bytes:
    return _read_original(document)
