"""Validation of JP PINT documents: the one safe parser, the official
artefacts (UBL 2.1 XSD and the JP PINT / T111 Schematron XSLTs, run with
saxonche) and the portal's own checks that close the gaps the official rules
leave (reference jp-pint-peppol.md §1.5 and §3).

Everything here reads bytes and returns findings; nothing writes.
"""

from __future__ import annotations

import datetime
import os
import threading
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.translation import gettext, gettext_lazy as _
from lxml import etree

CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
APPLICATION_RESPONSE_NS = (
    "urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2"
)
SVRL = "http://purl.oclc.org/dsdl/svrl"
NS = {"cbc": CBC, "cac": CAC}

FATAL = "fatal"
WARNING = "warning"

DEFAULT_MAX_DOCUMENT_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Problem:
    """One finding: the official rule ID (or a ``portal-*`` ID for the
    portal's own checks), ``fatal`` or ``warning``, a message that names the
    field, and where in the document (an XPath-like path) when known."""

    rule: str
    severity: str  # "fatal" | "warning"
    message: str  # Japanese, names the field
    location: str = ""

    @property
    def is_fatal(self) -> bool:
        return self.severity == FATAL


class DocumentRejected(ValidationError):  # noqa: N818 (the name others use)
    """The bytes are not a document the portal will read at all (too large,
    not XML, a DTD or entities). The message is Japanese and says what to do."""

    def __init__(self, message: str):
        super().__init__(message, code="peppol_rejected")
        self.message_ja = message

    def __str__(self) -> str:
        return self.message_ja


# ---------------------------------------------------------------------------
# The safe parser


def max_document_bytes() -> int:
    return int(
        getattr(settings, "PEPPOL_MAX_DOCUMENT_BYTES", DEFAULT_MAX_DOCUMENT_BYTES)
    )


def _safe_parser() -> etree.XMLParser:
    # A new parser per call: lxml parsers keep state and are not meant to be
    # shared between threads.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
        remove_pis=False,
    )


def parse_untrusted(xml: bytes) -> etree._Element:
    """Parse a document from outside: size limit, no DTD (a DOCTYPE is
    rejected outright, so no entity can be declared or expanded), no network,
    no huge trees. Raise :class:`DocumentRejected` with a Japanese message."""
    if not isinstance(xml, bytes | bytearray):
        raise TypeError("parse_untrusted() takes bytes")
    limit = max_document_bytes()
    if len(xml) > limit:
        raise DocumentRejected(
            gettext(
                "XML ファイルが大きすぎます（%(size)s バイト、上限 %(limit)s バイト）。"
                "請求書を分けて送ってください。"
            )
            % {"size": f"{len(xml):,}", "limit": f"{limit:,}"}
        )
    if not xml.strip():
        raise DocumentRejected(gettext("XML ファイルが空です。"))
    # A DOCTYPE is never needed by UBL; refusing it before parsing also
    # refuses entity expansion (billion laughs) and external entities (XXE).
    # The check on the raw bytes covers ASCII-compatible encodings; the check
    # on docinfo after parsing covers the rest (UTF-16 and the like).
    if b"<!DOCTYPE" in xml.upper() or b"<!ENTITY" in xml.upper():
        raise _doctype_rejected()
    try:
        root = etree.fromstring(bytes(xml), _safe_parser())
    except etree.XMLSyntaxError as exc:
        raise DocumentRejected(
            gettext(
                "XML として読み取れません（%(error)s）。"
                "JP PINT（UBL 2.1）の XML ファイルか確認してください。"
            )
            % {"error": exc.msg or str(exc)}
        ) from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise _doctype_rejected()
    for node in root.iter():
        if isinstance(node, etree._Entity):
            raise _doctype_rejected()
    return root


def _doctype_rejected() -> DocumentRejected:
    return DocumentRejected(
        gettext(
            "XML に DOCTYPE（DTD）またはエンティティ宣言が含まれています。"
            "安全のため受け付けません。DOCTYPE を含まない JP PINT の XML を"
            "送ってください。"
        )
    )


# ---------------------------------------------------------------------------
# Official artefacts

PROFILES = {
    "billing": ("jp-pint/billing/xslt", ("Invoice", "CreditNote")),
    "selfbilling": ("jp-pint/selfbilling/xslt", ("Invoice", "CreditNote")),
    "nontaxinvoice": ("jp-pint/nontaxinvoice/xslt", ("Invoice", "CreditNote")),
    "invoice-response": ("invoice-response/xslt", ("ApplicationResponse",)),
}
XSLT_FILES = {
    "billing": (
        "PINT-UBL-validation-preprocessed.xslt",
        "PINT-jurisdiction-aligned-rules.xslt",
    ),
    "selfbilling": (
        "PINT-UBL-validation-preprocessed.xslt",
        "PINT-jurisdiction-aligned-rules.xslt",
    ),
    "nontaxinvoice": (
        "PINT-UBL-validation-preprocessed.xslt",
        "PINT-jurisdiction-aligned-rules.xslt",
    ),
    "invoice-response": ("PEPPOLBIS-T111.xslt",),
}

# A short Japanese explanation in front of the official (English) text of
# the rules people meet most often.
RULE_EXPLANATIONS = {
    "ibr-001": _("仕様 ID（CustomizationID）がありません。"),
    "ibr-002": _("請求書番号（cbc:ID）がありません。"),
    "ibr-003": _("発行日（IssueDate）がありません。"),
    "ibr-006": _("売り手の名称（RegistrationName）がありません。"),
    "ibr-007": _("買い手の名称（RegistrationName）がありません。"),
    "ibr-016": _("明細（InvoiceLine）がありません。"),
    "ibr-co-10": _("明細金額の合計（LineExtensionAmount）が明細の合計と一致しません。"),
    "ibr-co-13": _("税抜合計（TaxExclusiveAmount）の計算が合いません。"),
    "ibr-co-14": _(
        "消費税額合計（TaxTotal/TaxAmount）が税率別の税額の合計と一致しません。"
    ),
    "ibr-co-15": _(
        "税込合計（TaxInclusiveAmount）が税抜合計と税額の合計と一致しません。"
    ),
    "ibr-co-16": _("支払金額（PayableAmount）の計算が合いません。"),
    "ibr-080": _("買い手の Peppol ID（EndpointID）がありません。"),
    "ibr-081": _("売り手の Peppol ID（EndpointID）がありません。"),
    "aligned-ibrp-001-jp": _(
        "仕様 ID（CustomizationID）が JP PINT のものではありません。"
    ),
    "aligned-ibrp-002-jp": _(
        "ビジネスプロセス（ProfileID）が JP PINT のものではありません。"
    ),
    "aligned-ibrp-cl-01-jp": _(
        "税区分（TaxCategory/ID）は S・AA・E・G・O のいずれかです。"
    ),
    "aligned-ibrp-cl-02-jp": _("請求書の種類（InvoiceTypeCode）は 380 です。"),
    "aligned-ibr-jp-01": _(
        "登録番号（PartyTaxScheme/CompanyID）は T と 13 桁の数字です。"
    ),
    "aligned-ibr-jp-03": _("税の種類（TaxScheme/ID）は VAT（消費税）です。"),
    "aligned-ibr-jp-04": _(
        "売り手の登録番号（PartyTaxScheme/CompanyID）がありません。"
    ),
    "aligned-ibrp-051-jp": _(
        "税率別の消費税額が課税対象額 × 税率の端数処理の範囲にありません。"
    ),
    "aligned-ibrp-052": _("取引の期間（InvoicePeriod）がありません。"),
    "aligned-ibrp-016": _("振込先口座（PayeeFinancialAccount/ID）がありません。"),
    "XSD": _("UBL 2.1 の構造（XML スキーマ）に合いません。"),
}


class _Artefacts:
    """The compiled schemas and stylesheets of one artefacts folder, built
    once per process. A forked worker (Celery prefork, gunicorn with
    preload) builds its own: the SaxonC native runtime does not survive a
    fork reliably."""

    def __init__(self, root: Path):
        self.root = root
        self.pid = os.getpid()
        self.lock = threading.RLock()
        self._schemas: dict[str, etree.XMLSchema] = {}
        self._executables: dict[str, list] = {}
        self._processor = None
        self._xslt = None

    def schema(self, root_name: str) -> etree.XMLSchema:
        with self.lock:
            if root_name not in self._schemas:
                path = self.root / "ubl-2.1/xsd/maindoc" / f"UBL-{root_name}-2.1.xsd"
                if not path.is_file():
                    raise ImproperlyConfigured(
                        f"PEPPOL_ARTIFACTS_DIR={self.root}: {path} is missing"
                    )
                self._schemas[root_name] = etree.XMLSchema(etree.parse(str(path)))
            return self._schemas[root_name]

    def executables(self, profile: str) -> list:
        with self.lock:
            if profile not in self._executables:
                from saxonche import PySaxonProcessor

                if self._processor is None:
                    # Kept for the process's lifetime: the executables need it.
                    self._processor = PySaxonProcessor(license=False)
                    self._xslt = self._processor.new_xslt30_processor()
                folder = self.root / PROFILES[profile][0]
                compiled = []
                for name in XSLT_FILES[profile]:
                    path = folder / name
                    if not path.is_file():
                        raise ImproperlyConfigured(
                            f"PEPPOL_ARTIFACTS_DIR={self.root}: {path} is missing"
                        )
                    compiled.append(
                        (name, self._xslt.compile_stylesheet(stylesheet_file=str(path)))
                    )
                self._executables[profile] = compiled
            return self._executables[profile]

    def transform(self, profile: str, text: str) -> list[bytes]:
        with self.lock:
            executables = self.executables(profile)
            node = self._processor.parse_xml(xml_text=text)
            return [
                exe.transform_to_string(xdm_node=node).encode("utf-8")
                for _name, exe in executables
            ]


_cache: dict[str, _Artefacts] = {}
_cache_lock = threading.Lock()


def artifacts_dir() -> Path:
    configured = getattr(settings, "PEPPOL_ARTIFACTS_DIR", "")
    if not configured:
        raise ImproperlyConfigured(
            "PEPPOL_ARTIFACTS_DIR is not set: point it at the folder holding the "
            "official ubl-2.1/, jp-pint/ and invoice-response/ artefacts"
        )
    path = Path(configured)
    if not (path / "ubl-2.1").is_dir():
        raise ImproperlyConfigured(
            f"PEPPOL_ARTIFACTS_DIR={path} does not hold the official artefacts "
            "(ubl-2.1/ is missing)"
        )
    return path


def official_configured() -> bool:
    return bool(getattr(settings, "PEPPOL_ARTIFACTS_DIR", ""))


def _artefacts() -> _Artefacts:
    root = artifacts_dir()
    key = str(root.resolve())
    with _cache_lock:
        cached = _cache.get(key)
        if cached is None or cached.pid != os.getpid():
            cached = _cache[key] = _Artefacts(root)
        return cached


def official_problems(xml: bytes, *, profile: str = "billing") -> list[Problem]:
    """The document against the UBL 2.1 XSD and the profile's official
    XSLTs. Rule IDs are the official ones; each message is the official
    (English) text, after a short Japanese explanation for common rules.
    Raises :class:`DocumentRejected` for unreadable bytes and
    ``ImproperlyConfigured`` when ``PEPPOL_ARTIFACTS_DIR`` is not set."""
    if profile not in PROFILES:
        raise ValueError(f"unknown Peppol profile {profile!r}")
    root = parse_untrusted(xml)
    artefacts = _artefacts()
    root_name = etree.QName(root).localname
    allowed = PROFILES[profile][1]
    if root_name not in allowed:
        return [
            Problem(
                rule="XSD",
                severity=FATAL,
                message=gettext(
                    "文書の種類（ルート要素 %(found)s）が違います。"
                    "%(expected)s の XML を送ってください。"
                )
                % {"found": root_name, "expected": " / ".join(allowed)},
                location=f"/{root_name}",
            )
        ]
    problems = []
    schema = artefacts.schema(root_name)
    with artefacts.lock:
        valid = schema.validate(root)
        errors = list(schema.error_log) if not valid else []
    for error in errors:
        problems.append(
            Problem(
                rule="XSD",
                severity=FATAL,
                message=f"{RULE_EXPLANATIONS['XSD']} {error.message}",
                location=f"line {error.line}",
            )
        )
    # Saxon gets the document as the safe parser read it (no DTD can reach it).
    text = etree.tostring(root, encoding="unicode")
    for svrl_bytes in artefacts.transform(profile, text):
        svrl = etree.fromstring(svrl_bytes, _safe_parser())
        for failed in svrl.iter(f"{{{SVRL}}}failed-assert"):
            rule = failed.get("id") or ""
            flag = (failed.get("flag") or FATAL).lower()
            texts = [
                " ".join("".join(t.itertext()).split())
                for t in failed.iter(f"{{{SVRL}}}text")
            ]
            official = " ".join(t for t in texts if t)
            explanation = RULE_EXPLANATIONS.get(rule)
            message = f"{explanation} {official}" if explanation else official
            problems.append(
                Problem(
                    rule=rule,
                    severity=FATAL if flag == FATAL else WARNING,
                    message=message,
                    location=failed.get("location") or "",
                )
            )
    return problems


def profile_of(root: etree._Element) -> str:
    """The validation profile a parsed document asks for."""
    if etree.QName(root).namespace == APPLICATION_RESPONSE_NS:
        return "invoice-response"
    customization = root.findtext(f"{{{CBC}}}CustomizationID") or ""
    if customization.startswith("urn:peppol:pint:selfbilling-1@jp-1"):
        return "selfbilling"
    if customization.startswith("urn:peppol:pint:nontaxinvoice-1@jp-1"):
        return "nontaxinvoice"
    return "billing"


# ---------------------------------------------------------------------------
# The portal's own checks

# Consumption-tax rates by the date they took effect (tax point, else the
# invoice period's end, else the issue date). Category -> percent.
CONSUMPTION_TAX_RATES: tuple[tuple[datetime.date, dict[str, Decimal]], ...] = (
    (datetime.date(2014, 4, 1), {"S": Decimal(8)}),
    (datetime.date(2019, 10, 1), {"S": Decimal(10), "AA": Decimal(8)}),
)
ZERO_RATE_CATEGORIES = {"E": Decimal(0), "G": Decimal(0)}

# The dummy numbers the official JP PINT examples use; they fail the check
# digit, so they get a warning instead of a fatal problem.
OFFICIAL_EXAMPLE_NUMBERS = frozenset(
    {"1234567890123", "3210987654321", "7654321098765"}
)


def corporate_number_valid(digits: str) -> bool:
    """The check digit of a 13-digit corporate number or the digits of a
    registration number (OpenPeppol code list 0188/0221): first digit =
    9 − (Σ Pn·Qn mod 9), Pn the n-th digit of the base from the right, Qn 1
    for odd n and 2 for even n."""
    if len(digits) != 13 or not digits.isascii() or not digits.isdigit():
        return False
    base = digits[1:]
    total = sum(
        int(d) * (1 if n % 2 else 2) for n, d in enumerate(reversed(base), start=1)
    )
    return int(digits[0]) == 9 - total % 9


def rates_on(day: datetime.date | None) -> dict[str, Decimal]:
    rates: dict[str, Decimal] = {}
    for since, table in CONSUMPTION_TAX_RATES:
        if day is None or day >= since:
            rates = table
    return rates


def _path(el: etree._Element) -> str:
    parts = []
    while el is not None:
        parent = el.getparent()
        qname = etree.QName(el)
        prefix = {CBC: "cbc:", CAC: "cac:"}.get(qname.namespace, "")
        name = f"{prefix}{qname.localname}"
        if parent is not None:
            same = [c for c in parent if c.tag == el.tag]
            if len(same) > 1:
                name += f"[{same.index(el) + 1}]"
        parts.append(name)
        el = parent
    return "/" + "/".join(reversed(parts))


def _decimal(text: str | None) -> Decimal | None:
    try:
        return Decimal((text or "").strip())
    except InvalidOperation:
        return None


def _date(text: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def _category(el: etree._Element | None) -> tuple[str, Decimal | None]:
    if el is None:
        return "", None
    return (
        (el.findtext("cbc:ID", namespaces=NS) or "").strip(),
        _decimal(el.findtext("cbc:Percent", namespaces=NS)),
    )


def _label(category: str, percent: Decimal | None) -> str:
    if percent is None:
        return f"カテゴリ {category}"
    return f"カテゴリ {category} {percent.normalize():f}%"


def _tax_date(root: etree._Element) -> datetime.date | None:
    for path in (
        "cbc:TaxPointDate",
        "cac:InvoicePeriod/cbc:EndDate",
        "cac:InvoicePeriod/cbc:StartDate",
        "cbc:IssueDate",
    ):
        day = _date(root.findtext(path, namespaces=NS))
        if day:
            return day
    return None


def portal_problems(xml: bytes) -> list[Problem]:
    """The portal's own checks for an invoice (§1.5 gaps of the official
    rules): integer yen except unit prices, S = 10% / AA = 8% on the date,
    each category's taxable amount equal to its lines ± document allowances
    and charges, the tax within floor and ceiling of rate × taxable, and the
    check digits of registration and corporate numbers. Messages are
    Japanese and name the field. Raises :class:`DocumentRejected` for
    unreadable bytes; other document types get no findings."""
    root = parse_untrusted(xml)
    if etree.QName(root).namespace not in (INVOICE_NS, CREDIT_NOTE_NS):
        return []
    problems: list[Problem] = []
    problems += _integer_yen(root)
    problems += _rates(root)
    # A non-registered business charges no consumption tax (all tax amounts
    # are 0, aligned-ibr-jp-07-ntr), so only the taxable sums apply there.
    problems += _breakdown(root, check_tax=profile_of(root) != "nontaxinvoice")
    problems += _check_digits(root)
    return problems


def _integer_yen(root: etree._Element) -> list[Problem]:
    problems = []
    for el in root.iter():
        if not isinstance(el.tag, str) or el.get("currencyID") != "JPY":
            continue
        parent = el.getparent()
        # Unit prices (cac:Price and its allowance) may have decimals (§1.6).
        if parent is not None and (
            etree.QName(parent).localname == "Price"
            or (
                parent.getparent() is not None
                and etree.QName(parent.getparent()).localname == "Price"
            )
        ):
            continue
        amount = _decimal(el.text)
        name = etree.QName(el).localname
        if amount is None or amount != amount.to_integral_value():
            problems.append(
                Problem(
                    rule="portal-jpy-integer",
                    severity=FATAL,
                    message=gettext(
                        "%(field)s の金額「%(value)s」は円の整数ではありません。"
                        "単価以外の金額は 1 円単位の整数で記載してください。"
                    )
                    % {"field": name, "value": (el.text or "").strip()},
                    location=_path(el),
                )
            )
    return problems


def _rates(root: etree._Element) -> list[Problem]:
    day = _tax_date(root)
    expected = {**rates_on(day), **ZERO_RATE_CATEGORIES}
    problems = []
    seen = set()
    for el in root.iter(f"{{{CAC}}}ClassifiedTaxCategory", f"{{{CAC}}}TaxCategory"):
        category, percent = _category(el)
        if category not in expected:
            continue
        want = expected[category]
        if percent is not None and percent == want:
            continue
        key = (category, percent)
        if key in seen:
            continue
        seen.add(key)
        problems.append(
            Problem(
                rule="portal-tax-rate",
                severity=FATAL,
                message=gettext(
                    "税区分 %(category)s の税率（Percent）が %(found)s%% に"
                    "なっています。%(date)s 時点の税率は %(expected)s%% です。"
                    "税区分と税率を"
                    "確認してください（標準税率 S は 10%%、軽減税率 AA は 8%%）。"
                )
                % {
                    "category": category,
                    "found": "なし" if percent is None else f"{percent.normalize():f}",
                    "expected": f"{want.normalize():f}",
                    "date": day.isoformat() if day else "-",
                },
                location=_path(el),
            )
        )
    return problems


def _breakdown(root: etree._Element, *, check_tax: bool) -> list[Problem]:
    currency = (root.findtext("cbc:DocumentCurrencyCode", namespaces=NS) or "").strip()
    computed: dict[tuple[str, Decimal | None], Decimal] = defaultdict(Decimal)
    line_tag = (
        "cac:InvoiceLine"
        if etree.QName(root).namespace == INVOICE_NS
        else "cac:CreditNoteLine"
    )
    for line in root.findall(line_tag, namespaces=NS):
        key = _category(line.find("cac:Item/cac:ClassifiedTaxCategory", namespaces=NS))
        amount = _decimal(line.findtext("cbc:LineExtensionAmount", namespaces=NS))
        if amount is not None:
            computed[_norm(key)] += amount
    for charge in root.findall("cac:AllowanceCharge", namespaces=NS):
        key = _category(charge.find("cac:TaxCategory", namespaces=NS))
        amount = _decimal(charge.findtext("cbc:Amount", namespaces=NS))
        if amount is None:
            continue
        indicator = charge.findtext("cbc:ChargeIndicator", namespaces=NS) or ""
        computed[_norm(key)] += amount if indicator.strip() == "true" else -amount
    problems = []
    stated: dict[tuple[str, Decimal | None], etree._Element] = {}
    for total in root.findall("cac:TaxTotal", namespaces=NS):
        amount_el = total.find("cbc:TaxAmount", namespaces=NS)
        if amount_el is None or amount_el.get("currencyID") != currency:
            continue  # the tax-accounting-currency total (ibt-111) has no base
        for subtotal in total.findall("cac:TaxSubtotal", namespaces=NS):
            key = _norm(_category(subtotal.find("cac:TaxCategory", namespaces=NS)))
            stated[key] = subtotal
    for key, subtotal in stated.items():
        category, percent = key
        taxable_el = subtotal.find("cbc:TaxableAmount", namespaces=NS)
        taxable = _decimal(taxable_el.text if taxable_el is not None else None)
        tax_el = subtotal.find("cbc:TaxAmount", namespaces=NS)
        tax = _decimal(tax_el.text if tax_el is not None else None)
        expected = computed.get(key, Decimal(0))
        if taxable is not None and taxable != expected:
            problems.append(
                Problem(
                    rule="portal-taxable-sum",
                    severity=FATAL,
                    message=gettext(
                        "税率別の課税対象額（%(label)s）が明細の合計と一致しません"
                        "（記載 %(stated)s、明細と文書の値引き・追加料金から計算 "
                        "%(computed)s）。税率別内訳（TaxSubtotal/TaxableAmount）か"
                        "明細の金額を直してください。"
                    )
                    % {
                        "label": _label(category, percent),
                        "stated": f"{taxable:f}",
                        "computed": f"{expected:f}",
                    },
                    location=_path(taxable_el),
                )
            )
        if check_tax and None not in (taxable, tax, percent):
            exact = taxable * percent / 100
            low = exact.to_integral_value(ROUND_FLOOR)
            high = exact.to_integral_value(ROUND_CEILING)
            if not low <= tax <= high:
                problems.append(
                    Problem(
                        rule="portal-tax-amount",
                        severity=FATAL,
                        message=gettext(
                            "税率別の消費税額（%(label)s）%(tax)s 円は、課税対象額 "
                            "%(taxable)s 円 × %(rate)s%% の端数処理の範囲（%(low)s〜"
                            "%(high)s 円）にありません。税率別内訳の消費税額"
                            "（TaxSubtotal/TaxAmount）を直してください。"
                        )
                        % {
                            "label": _label(category, percent),
                            "tax": f"{tax:f}",
                            "taxable": f"{taxable:f}",
                            "rate": f"{percent.normalize():f}",
                            "low": f"{low:f}",
                            "high": f"{high:f}",
                        },
                        location=_path(tax_el),
                    )
                )
    for key, amount in computed.items():
        if key not in stated:
            problems.append(
                Problem(
                    rule="portal-taxable-sum",
                    severity=FATAL,
                    message=gettext(
                        "明細に %(label)s がありますが、税率別内訳（TaxSubtotal）に"
                        "その税率の行がありません（明細の合計 %(computed)s）。"
                        "税率ごとに内訳を記載してください。"
                    )
                    % {"label": _label(*key), "computed": f"{amount:f}"},
                    location="/Invoice/cac:TaxTotal",
                )
            )
    return problems


def _norm(key: tuple[str, Decimal | None]) -> tuple[str, Decimal | None]:
    category, percent = key
    return category, (percent.normalize() if percent is not None else None)


def _check_digits(root: etree._Element) -> list[Problem]:
    problems = []
    for el in root.iter(f"{{{CBC}}}CompanyID", f"{{{CBC}}}EndpointID"):
        value = (el.text or "").strip()
        scheme = el.get("schemeID")
        parent = el.getparent()
        in_tax_scheme = (
            parent is not None and etree.QName(parent).localname == "PartyTaxScheme"
        )
        if in_tax_scheme or scheme == "0221":
            if not (value.startswith("T") and len(value) == 14):
                continue  # the official rule aligned-ibr-jp-01 reports the form
            digits, kind = value[1:], gettext("登録番号")
        elif scheme == "0188":
            digits, kind = value, gettext("法人番号")
        else:
            continue
        if corporate_number_valid(digits):
            continue
        fixture = digits in OFFICIAL_EXAMPLE_NUMBERS
        problems.append(
            Problem(
                rule="portal-check-digit",
                severity=WARNING if fixture else FATAL,
                message=gettext(
                    "%(kind)s「%(value)s」（%(field)s）のチェックデジットが合いません。"
                    "番号の誤りがないか確認してください。"
                )
                % {"kind": kind, "value": value, "field": _field_name(el)},
                location=_path(el),
            )
        )
    return problems


def _field_name(el: etree._Element) -> str:
    names = []
    node = el
    for _level in range(3):
        if node is None:
            break
        names.append(etree.QName(node).localname)
        node = node.getparent()
    return "/".join(reversed(names))


def document_problems(xml: bytes) -> list[Problem]:
    """Everything the portal knows about a document: the safe parse
    (raises :class:`DocumentRejected`), the official artefacts when
    ``PEPPOL_ARTIFACTS_DIR`` is configured, and the portal's own checks."""
    root = parse_untrusted(xml)
    problems = []
    if official_configured():
        problems += official_problems(xml, profile=profile_of(root))
    problems += portal_problems(xml)
    return problems


def fatal(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.is_fatal]
