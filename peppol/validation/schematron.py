"""The official JP PINT and Invoice Response rules: the profile's
Schematron XSLTs run with saxonche (XSLT 2.0, which lxml cannot run), after
the UBL 2.1 XSD. Rule IDs are the official ones."""

from __future__ import annotations

from django.utils.translation import gettext, gettext_lazy as _
from lxml import etree

from .artefacts import PROFILES, _artefacts
from .parsing import (
    APPLICATION_RESPONSE_NS,
    CBC,
    FATAL,
    SVRL,
    WARNING,
    Problem,
    _safe_parser,
    parse_untrusted,
)
from .schema import XSD_EXPLANATION, xsd_problems

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
    "XSD": XSD_EXPLANATION,
}


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
    problems = xsd_problems(root, artefacts)
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
