"""Pairing credits with payment notices (zengin.md §3.3).

1. EDI情報 (or 摘要) naming a notice number: the city writes the notice
   number into each transfer's EDI, so this is exact.
2. Otherwise, among open notices whose payment date is near the booking
   date (``DATE_BEFORE``/``DATE_AFTER``) and whose payer kana (the
   municipality's 振込依頼人名) appears in the credit's payer name:
   the one notice of that transfer amount; else notices of one payer and
   payment date that add up to it (a credit paying several notices); else
   one notice the credit falls short of by at most ``FEE_TOLERANCE`` yen
   (a bank fee taken from the transfer).
3. Several fit: ambiguous, the supplier chooses. A notice of that amount
   whose payer name does not match is offered the same way, never taken.

Each notice pays at most one credit: EDI matches are made first, so an
amount match never takes a notice a later row names by EDI."""

import itertools
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta

import jaconv

from municipality.treasury.reconciliation.credits import Credit

DATE_BEFORE = timedelta(days=3)
DATE_AFTER = timedelta(days=7)
FEE_TOLERANCE = 1_000
MAX_COMBINED = 4  # notices one credit may pay, found by amount
MAX_GROUP = 12  # notices of one payer and day searched for combinations

MATCHED, AMBIGUOUS, UNMATCHED = "matched", "ambiguous", "unmatched"
EDI, AMOUNT, COMBINED, SHORT = "edi", "amount", "combined", "short"
ALREADY = "already"  # the EDI names a notice reconciled before

_SMALL = str.maketrans("ｧｨｩｪｫｬｭｮｯ", "ｱｲｳｴｵﾔﾕﾖﾂ")
_NOT_NAME = re.compile(r"[^ｦ-ﾝﾞﾟA-Z]")
# Notice numbers are letters, digits and hyphens (2026-0007-001).
_TOKEN = re.compile(r"[0-9A-Z][0-9A-Z\-]*")
_DASHES = str.maketrans(dict.fromkeys("ー−‐－―ｰ", "-"))


@dataclass(frozen=True)
class NoticeCandidate:
    """What matching needs of a payment notice."""

    id: int
    number: str
    payment_date: date
    transfer_amount: int
    payer_kanas: tuple[str, ...]
    municipality_id: int
    reconciled: bool = False


@dataclass(frozen=True)
class Match:
    credit: Credit
    outcome: str
    method: str = ""
    notice_ids: tuple[int, ...] = ()
    options: list[tuple[int, ...]] = field(default_factory=list)
    note: str = ""


def kana_key(text: str) -> str:
    """A payer name reduced for comparison: half-width upper-case kana and
    letters only (no spaces, brackets, digits such as a 依頼人番号)."""
    text = unicodedata.normalize("NFKC", text or "")
    text = jaconv.enlarge_smallkana(jaconv.hira2kata(text))
    text = jaconv.z2h(text, kana=True, ascii=True, digit=True).upper()
    return _NOT_NAME.sub("", text.translate(_SMALL))


def name_matches(payer_name: str, kanas: tuple[str, ...]) -> bool:
    """Whether the credit's payer is one of ``kanas`` (already
    ``kana_key``-ed): contained in it, or a bank cut it short."""
    payer = kana_key(payer_name)
    if not payer:
        return False
    return any(
        kana and (kana in payer or (len(payer) >= 4 and kana.startswith(payer)))
        for kana in kanas
    )


def _edi_text(credit: Credit) -> str:
    text = unicodedata.normalize("NFKC", f"{credit.edi} {credit.description}")
    return text.translate(_DASHES).upper()


def _in_window(credit: Credit, notice: NoticeCandidate) -> bool:
    return (
        notice.payment_date - DATE_BEFORE
        <= credit.booking_date
        <= notice.payment_date + DATE_AFTER
    )


def _combinations(notices: list[NoticeCandidate], amount: int):
    groups: dict[tuple, list[NoticeCandidate]] = {}
    for notice in notices:
        groups.setdefault((notice.municipality_id, notice.payment_date), []).append(
            notice
        )
    found = []
    for members in groups.values():
        if len(members) > MAX_GROUP:
            continue
        for size in range(2, min(MAX_COMBINED, len(members)) + 1):
            for combo in itertools.combinations(members, size):
                if sum(n.transfer_amount for n in combo) == amount:
                    found.append(tuple(n.id for n in combo))
    return found


def _by_amount(credit: Credit, open_notices: list[NoticeCandidate]) -> Match:
    near = [n for n in open_notices if _in_window(credit, n)]
    named = [n for n in near if name_matches(credit.payer_name, n.payer_kanas)]
    exact = [n for n in named if n.transfer_amount == credit.amount]
    if len(exact) == 1:
        return Match(credit, MATCHED, AMOUNT, (exact[0].id,))
    if exact:
        return Match(credit, AMBIGUOUS, AMOUNT, options=[(n.id,) for n in exact])
    combos = _combinations(named, credit.amount)
    if len(combos) == 1:
        return Match(credit, MATCHED, COMBINED, combos[0])
    if combos:
        return Match(credit, AMBIGUOUS, COMBINED, options=combos)
    short = [n for n in named if 0 < n.transfer_amount - credit.amount <= FEE_TOLERANCE]
    if len(short) == 1:
        return Match(credit, MATCHED, SHORT, (short[0].id,))
    if short:
        return Match(credit, AMBIGUOUS, SHORT, options=[(n.id,) for n in short])
    other_payer = [n for n in near if n.transfer_amount == credit.amount]
    if other_payer:
        return Match(credit, AMBIGUOUS, AMOUNT, options=[(n.id,) for n in other_payer])
    return Match(credit, UNMATCHED)


def match_credits(credits: list[Credit], notices: list[NoticeCandidate]) -> list[Match]:
    """One ``Match`` per credit, in the credits' order."""
    taken = {n.id for n in notices if n.reconciled}
    results: list[Match | None] = [None] * len(credits)
    by_number = {n.number.upper(): n for n in notices}
    for i, credit in enumerate(credits):
        tokens = dict.fromkeys(_TOKEN.findall(_edi_text(credit)))
        found = [by_number[t] for t in tokens if t in by_number]
        if not found:
            continue
        ids = tuple(n.id for n in found)
        if taken & set(ids):
            results[i] = Match(credit, UNMATCHED, EDI, ids, note=ALREADY)
        else:
            taken |= set(ids)
            results[i] = Match(credit, MATCHED, EDI, ids)
    for i, credit in enumerate(credits):
        if results[i] is not None:
            continue
        match = _by_amount(credit, [n for n in notices if n.id not in taken])
        if match.outcome == MATCHED:
            taken |= set(match.notice_ids)
        results[i] = match
    return results
