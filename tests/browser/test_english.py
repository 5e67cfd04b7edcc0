"""Every page of every role, in English, shows no Japanese but user data.

The tenancy matrix's world (``tests/tenancy/world.py``) is built and then every
text of it is replaced by ASCII (names of the cities, departments,
suppliers and people, invoice lines and their frozen snapshots…), and
every user reads the portal in English. Any kana or kanji left on a page
is then a string nobody marked or translated. Each role visits every GET
page the matrix grants it (one object per URL; downloads — PDF, CSV, ZIP,
XML, attachments — are not pages), plus its own account pages; anonymous
visitors the public pages and the login pages, after choosing English with
the login page's switch.

The failure lists each page with the Japanese it shows, and how many
pages of each app (the module of the view) fail.
"""

import re
from collections import Counter

import pytest
from django.apps import apps
from django.db import models
from django.urls import resolve, reverse
from django_scopes import scopes_disabled

from accounts.models import User
from tests.browser.helpers import login
from tests.browser.pages import VISITORS, pages_of
from tests.factories import PASSWORD
from tests.tenancy.world import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

JAPANESE = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]"
    r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]*"
)
# Japanese that is right on an English page.
ALLOWED = {
    "日本語",  # the language switcher names each language in itself
}
OUR_APPS = (
    "accounts",
    "municipality",
    "partners",
    "invoices",
    "peppol",
    "procurement",
    "api",
)


def _ascii(value, label: str):
    """``value`` with every text that holds Japanese replaced by ASCII
    (recursively in JSON)."""
    if isinstance(value, str):
        return label if JAPANESE.search(value) else value
    if isinstance(value, list):
        return [_ascii(v, label) for v in value]
    if isinstance(value, dict):
        return {k: _ascii(v, label) for k, v in value.items()}
    return value


def _romanise_every_text() -> None:
    """Replace the Japanese in every text column of our apps by short ASCII
    (unique per row, within the column's length)."""
    for model in apps.get_models():
        if model._meta.app_label not in OUR_APPS:
            continue
        fields = [
            f
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
            and not f.choices
        ]
        for row in model._base_manager.all():
            changed = {}
            for f in fields:
                limit = getattr(f, "max_length", None) or 40
                label = f"{f.name[:4].title()}{row.pk}"[:limit]
                value = getattr(row, f.attname)
                new = _ascii(value, label)
                if new != value:
                    changed[f.attname] = new
            if changed:
                model._base_manager.filter(pk=row.pk).update(**changed)


def _choose_english_on_the_login_page(page, live_server) -> None:
    """As a visitor does: the login page's language switch (no script)."""
    page.goto(f"{live_server.url}{reverse('account_login')}")
    page.select_option("#language-switch-select", "en")
    with page.expect_navigation():
        page.locator(".language-switch button[type=submit]").click()


def _page_data() -> dict[str, str]:
    """Per page, the Japanese that is data there, not UI: the names and
    words of a Japanese file format the page explains or reads, and the
    Japanese a user types (example bank names, the bank master's names)."""
    from invoices.csv_import.cells import _DATE_FORMS, _ERAS, TAX_CATEGORY_LABELS
    from invoices.csv_import.header import COLUMNS
    from invoices.views.imports import COLUMN_HELP
    from municipality import resources
    from partners.banking import bank_lookup, branch_lookup
    from partners.models import BankAccount

    invoice_csv = " ".join(
        [
            *COLUMNS,
            *(c[0] for c in COLUMN_HELP),
            *TAX_CATEGORY_LABELS.values(),
            *TAX_CATEGORY_LABELS,
            *_ERAS,
            _DATE_FORMS,
            "円",
            "軽減税率",
            "標準税率",
        ]
    )
    department_csv = " ".join(
        [
            resources.DEPARTMENT_CODE,
            resources.DEPARTMENT_NAME,
            resources.PARENT_CODE,
            resources.ACTIVE,
            *resources.ACTIVE_WORDS,
            *resources.INACTIVE_WORDS,
        ]
    )
    # The bank master's names of the world's accounts, shown from the master.
    masters = [
        (bank_lookup(a.bank_code), branch_lookup(a.bank_code, a.branch_code))
        for a in BankAccount._base_manager.all()
    ]
    banks = " ".join(
        ["みずほ ミズホ ｶ)"]
        + [f"{b.name} {b.kana}" for pair in masters for b in pair if b is not None]
    )
    from api.views.keys import EXAMPLE_INVOICE
    from procurement.services import budget_codes, delivery_import, order_import

    order_csv = " ".join(
        [
            *order_import.CSV_HEADERS,
            *order_import._KINDS,
            *order_import._TAX,
            *order_import._YES,
            *TAX_CATEGORY_LABELS.values(),
        ]
    )
    return {
        "city:order_import": order_csv,
        "city:budget_code_import": " ".join(budget_codes.CSV_HEADERS),
        "supplier:delivery_import": " ".join(delivery_import.CSV_HEADERS),
        # The column form's example heading (a bank's CSV is in Japanese).
        "supplier:reconciliations": "取引日",
        "supplier:api_guide": " ".join(
            str(value) for line in EXAMPLE_INVOICE["lines"] for value in line.values()
        ),
        "supplier:invoice_import_help": invoice_csv,
        "city:department_import": department_csv,
        "supplier:bank_account_add": banks,
        "supplier:bank_account_edit": banks,
    }


def _is_data(run: str, data: str) -> bool:
    """Every piece of ``run`` between brackets and separators is in ``data``
    (「本店（ﾎﾝﾃﾝ）」 is a branch name with its kana)."""
    pieces = [p for p in re.split(r"[（）()、・\s]", run) if p]
    return bool(pieces) and all(p in data for p in pieces)


def _page_data_of(url: str, page_data: dict[str, str]) -> str:
    return page_data.get(resolve(url.split("?")[0]).view_name, "")


def _app_of(url: str) -> str:
    return resolve(url.split("?")[0]).func.__module__.split(".")[0]


def test_every_page_of_every_role_is_english(page, live_server, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    world = build_world(tmp_path / "media")
    with scopes_disabled():
        _romanise_every_text()
        User.objects.update(language="en")

    with scopes_disabled():
        page_data = _page_data()
    offences: dict[str, list[str]] = {}
    visited = 0
    for role_name in VISITORS:
        page.context.clear_cookies()
        if role_name in world.users:
            login(page, live_server, world.users[role_name].email, PASSWORD)
        else:
            _choose_english_on_the_login_page(page, live_server)
        for url in pages_of(role_name, world):
            response = page.goto(f"{live_server.url}{url}")
            if response is None or response.status != 200:
                continue
            if "text/html" not in response.headers.get("content-type", ""):
                continue
            visited += 1
            text = page.evaluate("document.body.innerText")
            data = _page_data_of(url, page_data)
            found = sorted(
                run
                for run in set(JAPANESE.findall(text)) - ALLOWED
                if not _is_data(run, data)
            )
            if found:
                key = f"{role_name} {url} [{_app_of(url)}]"
                offences[key] = found

    assert visited > 50, f"only {visited} pages were visited"
    if offences:
        per_app = Counter(key.rsplit("[", 1)[1].rstrip("]") for key in offences)
        pytest.fail(
            f"{len(offences)} of {visited} pages show Japanese in English "
            f"(per app: {dict(sorted(per_app.items()))}):\n"
            + "\n".join(
                f"  {key}: {' | '.join(found[:12])}"
                + (f" … (+{len(found) - 12})" if len(found) > 12 else "")
                for key, found in offences.items()
            ),
            pytrace=False,
        )
