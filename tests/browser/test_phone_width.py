"""Every page of every role fits a phone: 390 px wide, no sideways scroll.

The tenancy matrix's world (``tests/tenancy/world.py``) is built, in Japanese
(Japanese text wraps differently from ASCII), with an invoice of many lines
and a long item name, a draft like it and a long unbroken notes text. Each
role visits every GET page the matrix grants it (``tests/browser/pages.py``)
at 390 × 844, then pages that show error messages (forms sent wrong). A
page fails when ``document.documentElement.scrollWidth`` exceeds the
viewport's width: the page itself scrolls sideways. A table may scroll in
its own box; the page may not.

The failure lists each page with the elements that stick out on the right.
"""

from decimal import Decimal

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from invoices.models import Invoice
from invoices.services.drafts import LineInput
from tests.browser.helpers import login
from tests.browser.pages import VISITORS, pages_of
from tests.factories import PASSWORD, make_invoice
from tests.tenancy.world import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LONG_NAME = (
    "鹿児島県鹿屋市立第一中学校体育館屋根防水改修工事に伴う仮設足場設置および撤去作業"
    "（第2期分・2025年4月1日から2025年6月30日まで）"
)
# What sticks out: the outermost elements whose right edge passes the
# viewport, outside any box that scrolls or clips.
OVERFLOWING = """
() => {
  // Inside a box that scrolls or clips (a table's own scroll box) is fine.
  const clipped = (element) => {
    let up = element.parentElement;
    for (; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== "visible") return true;
    }
    return false;
  };
  const width = document.documentElement.clientWidth;
  const found = [];
  for (const element of document.body.querySelectorAll("*")) {
    const box = element.getBoundingClientRect();
    if (box.right <= width + 1 || box.width === 0) continue;
    if (found.some((outer) => outer.contains(element))) continue;
    if (clipped(element)) continue;
    found.push(element);
  }
  return found.slice(0, 4).map((element) => {
    const name = element.tagName.toLowerCase();
    const classes = element.className && typeof element.className === "string"
      ? "." + element.className.trim().split(/\\s+/).join(".") : "";
    const text = (element.innerText || "").trim().slice(0, 30).replace(/\\s+/g, " ");
    const right = Math.round(element.getBoundingClientRect().right);
    return `${name}${classes} (${right} px) ${text}`;
  });
}
"""


def _long_lines() -> list[LineInput]:
    lines = [
        LineInput(LONG_NAME, Decimal("1234.5"), Decimal("9876543"), "S", "式"),
        LineInput("コピー用紙 A4 500枚入り", Decimal(10), Decimal(450), "S", "箱"),
        LineInput("お茶（来客用）", Decimal(3), Decimal(120), "AA", "本"),
        LineInput("https://example.jp/" + "a" * 80, Decimal(1), Decimal(1), "S", ""),
    ]
    return lines + [
        LineInput(f"消耗品 {n}", Decimal(n), Decimal(100 * n), "S", "個")
        for n in range(1, 5)
    ]


def _add_long_invoices(world) -> dict[str, int]:
    """An issued invoice and a draft of supplier a to department A1, with
    many lines, a long item name, a long subject and unbroken notes."""
    with scopes_disabled():
        a1 = Invoice.objects.get(number="TM-a-A1-I")
        owner = world.users["supplier_a_owner"]
        fields = {
            "subject": LONG_NAME,
            "notes": "振込先の変更はありません。" + "0123456789" * 12,
        }
        issued = make_invoice(
            connection=a1.connection,
            actor=owner,
            lines=_long_lines(),
            number="LONG-2025-0001-" + "9" * 20,
            **fields,
        )
        draft = make_invoice(
            connection=a1.connection,
            actor=owner,
            lines=_long_lines(),
            issue=False,
            number="LONG-DRAFT-0002",
            **fields,
        )
    return {"issued": issued.pk, "draft": draft.pk, "slug": a1.municipality.slug}


def _long_invoice_pages(role_name: str, long) -> list[str]:
    if role_name == "supplier_a_owner":
        return [
            reverse("supplier:invoice", args=[long["issued"]]),
            reverse("supplier:invoice", args=[long["draft"]]),
            reverse("supplier:invoice_edit", args=[long["draft"]]),
            reverse("supplier:invoice_print", args=[long["issued"]]),
        ]
    if role_name == "kanoya_a1_staff":
        return [
            reverse("city:invoice", args=[long["slug"], long["issued"]]),
            reverse("city:invoice_print", args=[long["slug"], long["issued"]]),
        ]
    return []


def _overflow(page) -> list[str]:
    """What sticks out of the page on the right (empty when it fits)."""
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width <= PHONE["width"]:
        return []
    return [f"scrollWidth {scroll_width}", *page.evaluate(OVERFLOWING)]


def _wrong_invoice(page) -> None:
    page.locator("#id_number").fill("")
    page.locator("input[name$='-quantity']").first.fill("たくさん")
    page.locator("input[name$='-unit_price']").first.fill("9" * 30)


def _wrong_login(page) -> None:
    page.get_by_label("メールアドレス").fill(f"nobody-{'x' * 40}@example.jp")
    page.get_by_label("パスワード").fill("wrong")


# Forms sent wrong, per role: (URL name, how to fill it, its submit button).
WRONG_FORMS = {
    "anonymous": [("account_login", _wrong_login, "button:text-is('ログイン')")],
    "supplier_a_owner": [
        (
            "supplier:invoice_new",
            _wrong_invoice,
            "form[data-invoice-form] > button[type=submit]:not([tabindex])",
        ),
        (
            "supplier:bank_account_add",
            None,
            "button[type=submit]:text-is('入力内容を確認する')",
        ),
        (
            "supplier:profile_edit",
            lambda page: page.locator("main form input[type=text]").first.fill(""),
            "main form button[type=submit]",
        ),
    ],
}


def _pages_with_errors(page, live_server, role_name) -> dict[str, list[str]]:
    """Each of the role's forms sent wrong in the browser, as a person does:
    what sticks out of the page with the error messages, by URL."""
    found = {}
    for name, fill, button in WRONG_FORMS.get(role_name, []):
        url = reverse(name)
        page.goto(f"{live_server.url}{url}")
        if fill:
            fill(page)
        with page.expect_navigation():
            page.locator(button).click()
        assert page.locator(".errorlist, .message--error, [role=alert]").count(), (
            f"{url} shows no error message"
        )
        found[f"{url} (errors)"] = _overflow(page)
    return found


def test_every_page_of_every_role_fits_a_phone(page, live_server, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    world = build_world(tmp_path / "media")
    long = _add_long_invoices(world)
    page.set_viewport_size(PHONE)

    offences: dict[str, list[str]] = {}
    visited = 0
    for role_name in VISITORS:
        page.context.clear_cookies()
        if role_name in world.users:
            login(page, live_server, world.users[role_name].email, PASSWORD)
        for url in pages_of(role_name, world) + _long_invoice_pages(role_name, long):
            response = page.goto(f"{live_server.url}{url}")
            if response is None or response.status != 200:
                continue
            if "text/html" not in response.headers.get("content-type", ""):
                continue
            visited += 1
            found = _overflow(page)
            if found:
                offences[f"{role_name} {url}"] = found
        for url, found in _pages_with_errors(page, live_server, role_name).items():
            visited += 1
            if found:
                offences[f"{role_name} {url}"] = found

    assert visited > 50, f"only {visited} pages were visited"
    if offences:
        pytest.fail(
            f"{len(offences)} of {visited} pages scroll sideways at "
            f"{PHONE['width']} px:\n"
            + "\n".join(
                f"  {key}: {' | '.join(found)}" for key, found in offences.items()
            ),
            pytrace=False,
        )


def _fully_in_view(page, cell) -> str | None:
    """Why ``cell`` is not wholly readable within the phone's width, or None."""
    box = cell.bounding_box()
    if box is None:
        return "not shown"
    if box["x"] < 0 or box["x"] + box["width"] > PHONE["width"] + 1:
        return f"from {box['x']:.0f} to {box['x'] + box['width']:.0f} px"
    if cell.evaluate("(el) => el.scrollWidth > el.clientWidth + 1"):
        return "cut off"
    return None


def _check_rows(page, rows, expected: dict[str, tuple[str, str]]) -> list[str]:
    """Each row naming an invoice of ``expected`` (number → status, amount)
    shows its status and amount in the phone's width."""
    problems = []
    seen = set()
    for index in range(rows.count()):
        row = rows.nth(index)
        text = row.inner_text()
        number = next((n for n in expected if n in text), None)
        if number is None:
            continue
        seen.add(number)
        status, amount = expected[number]
        for what, cell in (
            ("status", row.locator("td", has_text=status).first),
            ("amount", row.locator("td.num", has_text=amount).first),
        ):
            if not cell.count():
                problems.append(f"{number}: no {what} cell")
                continue
            why = _fully_in_view(page, cell)
            if why:
                problems.append(f"{number}: {what} {why}")
    problems += [f"{n}: not listed" for n in expected if n not in seen]
    return problems


def test_amounts_and_status_are_readable_on_a_phone(
    page, live_server, tenant, supplier_user
):
    """The supplier's invoice list and the city's inbox, at 390 px: every
    invoice's status and amount are in view, not cut off or scrolled away."""
    with scopes_disabled():
        membership = supplier_user.supplier_membership
        supplier = membership.supplier
        supplier.legal_name = "株式会社鹿屋事務機器販売サービスセンター南九州支店営業部"
        supplier.save(update_fields=["legal_name"])
        connection = supplier.connections.get()
        big = [LineInput(LONG_NAME, Decimal(3), Decimal(41_152_263), "S", "式")]
        issued = make_invoice(
            connection=connection,
            actor=supplier_user,
            lines=big,
            subject=LONG_NAME,
            number="2025-LONG-0001",
        )
        small = make_invoice(
            connection=connection, actor=supplier_user, number="2025-0002"
        )
        draft = make_invoice(
            connection=connection, actor=supplier_user, issue=False, number="D-3"
        )
    amounts = {i.number: f"{i.total:,}円" for i in (issued, small, draft)}
    page.set_viewport_size(PHONE)

    login(page, live_server, supplier_user.email, PASSWORD)
    page.goto(f"{live_server.url}{reverse('supplier:invoices')}")
    problems = _check_rows(
        page,
        page.locator("main table tbody tr"),
        {
            issued.number: ("未開封", amounts[issued.number]),
            small.number: ("未開封", amounts[small.number]),
            draft.number: ("下書き", amounts[draft.number]),
        },
    )

    for who, staff in (
        ("department staff", tenant.department_staff),
        ("city admin", tenant.city_admin),  # every department: one column more
    ):
        page.context.clear_cookies()
        login(page, live_server, staff.email, PASSWORD)
        slug = tenant.municipality.slug
        page.goto(f"{live_server.url}{reverse('city:inbox', args=[slug])}")
        problems += [
            f"inbox of the {who}: {problem}"
            for problem in _check_rows(
                page,
                page.locator("main table tbody tr"),
                {
                    issued.number: ("未開封", amounts[issued.number]),
                    small.number: ("未開封", amounts[small.number]),
                },
            )
        ]
    assert not problems, "\n".join(problems)
