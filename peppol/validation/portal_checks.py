"""The portal's own checks, which close the gaps the official rules leave
(reference jp-pint-peppol.md §1.5 and §3): integer yen, rates by date,
taxable sums per category, tax within floor and ceiling, check digits."""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation

from django.utils.translation import gettext
from lxml import etree

from .parsing import (
    CAC,
    CBC,
    CREDIT_NOTE_NS,
    FATAL,
    INVOICE_NS,
    NS,
    WARNING,
    Problem,
    parse_untrusted,
)
from .schematron import profile_of

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
        return gettext("カテゴリ %(category)s") % {"category": category}
    return gettext("カテゴリ %(category)s %(percent)s%%") % {
        "category": category,
        "percent": f"{percent.normalize():f}",
    }


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
                    "found": gettext("なし")
                    if percent is None
                    else f"{percent.normalize():f}",
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
