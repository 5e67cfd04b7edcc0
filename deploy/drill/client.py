"""A browser-like client through the proxy, and one invoice's whole flow
(create, issue, approve) as people do it."""

import http.cookiejar
import re
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from django.db import close_old_connections
from django.utils import timezone
from django_scopes import scopes_disabled

from deploy.drill.world import World
from invoices.models import Invoice

TIMEOUT = 180  # seconds for one request on a busy machine
NUMBER_TAKEN = "この請求書番号はすでに使われています"
ISSUED_TEXTS = ("請求書を発行しました", "すでに発行されています")
APPROVED_TEXTS = ("請求書を承認しました", "画面を更新して状態を確認してください")
INVOICE_PATH = re.compile(r"/supplier/invoices/(\d+)/$")


@dataclass
class Result:
    method: str
    path: str
    status: int  # 0: no HTTP answer (connection broken, timeout)
    seconds: float
    request_id: str = ""
    error: str = ""


@dataclass
class Stats:
    results: list[Result] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, result: Result) -> None:
        with self.lock:
            self.results.append(result)

    def failures(self, since: float = 0, until: float = float("inf")) -> list:
        return [
            r
            for r in self.results
            if (r.status == 0 or r.status >= 500) and since <= r.seconds <= until
        ]


class Browser:
    """One session through the proxy: cookies, CSRF, Referer, redirects."""

    def __init__(self, site: str, cafile: str, stats: Stats, started: float):
        self.site = site.rstrip("/")
        self.stats = stats
        self.started = started
        self.jar = http.cookiejar.CookieJar()
        context = ssl.create_default_context(cafile=cafile)
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar),
            urllib.request.HTTPSHandler(context=context),
        )

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def request(self, method: str, path: str, data: dict | None = None):
        """(status, final path, text); status 0 when no answer came."""
        body = None
        headers = {"Referer": self.site + path}
        if data is not None:
            data = {**data, "csrfmiddlewaretoken": self.csrf()}
            body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(
            self.site + path, data=body, method=method, headers=headers
        )
        began = time.monotonic()
        try:
            with self.opener.open(request, timeout=TIMEOUT) as response:
                text = response.read().decode()
                status, final = response.status, response.url
                request_id = response.headers.get("X-Request-ID", "")
        except urllib.error.HTTPError as error:
            text = error.read().decode(errors="replace")
            status, final = error.code, error.url
            request_id = error.headers.get("X-Request-ID", "")
        except OSError as error:  # refused, reset, timed out
            self.stats.add(
                Result(method, path, 0, began - self.started, error=repr(error))
            )
            return 0, path, ""
        self.stats.add(Result(method, path, status, began - self.started, request_id))
        return status, urllib.parse.urlsplit(final).path, text

    def login(self, email: str, password: str) -> None:
        _login_turn()
        self.request("GET", "/accounts/login/")
        status, final, _ = self.request(
            "POST", "/accounts/login/", {"login": email, "password": password}
        )
        if status != 200 or final.startswith("/accounts/login"):
            raise RuntimeError(f"login failed for {email}: {status} {final}")


# allauth lets one address log in 30 times a minute, and every client of the
# drill comes from the proxy's loopback address: logins are spaced out.
LOGIN_SPACING = 2.5  # seconds: at most 24 a minute
_login_lock = threading.Lock()
_last_login = [0.0]


def _login_turn() -> None:
    with _login_lock:
        wait = _last_login[0] + LOGIN_SPACING - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        _last_login[0] = time.monotonic()


@dataclass
class Seen:
    """What one client saw confirmed, by invoice number."""

    created: dict[str, int] = field(default_factory=dict)
    issued: set[int] = field(default_factory=set)
    approved: set[int] = field(default_factory=set)
    recovered: int = 0  # a retried create found its number taken
    problems: list[str] = field(default_factory=list)


def invoice_flow(supplier: Browser, staff: Browser, world: World, number: str, seen):
    """Create, issue and approve one invoice as people do; record what the
    pages confirmed. Returns False when a step did not get an answer."""
    today = timezone.localdate().isoformat()
    form = {
        "connection": world.connection.pk,
        "number": number,
        "issue_date": today,
        "transaction_date": today,
        "transaction_end_date": "",
        "due_date": "",
        "subject": "訓練用の請求",
        "notes": "",
        "price_basis": "exclusive",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-description": "コピー用紙 A4",
        "lines-0-quantity": "2",
        "lines-0-unit": "箱",
        "lines-0-unit_price": "450",
        "lines-0-tax_category": "S",
        "lines-0-ORDER": "1",
    }
    supplier.request("GET", "/supplier/invoices/new/")
    status, final, text = supplier.request("POST", "/supplier/invoices/new/", form)
    if status == 0 or status >= 500:
        return False
    if match := INVOICE_PATH.search(final):
        pk = int(match.group(1))
    elif NUMBER_TAKEN in text:
        # The proxy re-sent the POST after the first process died having
        # saved it: the number is refused; the supplier finds the draft.
        with scopes_disabled():
            pk = Invoice.objects.get(
                supplier=world.connection.supplier, number=number
            ).pk
        close_old_connections()
        seen.recovered += 1
    else:
        seen.problems.append(f"{number}: create answered {status} at {final}")
        return True
    seen.created[number] = pk

    status, final, text = supplier.request(
        "POST", f"/supplier/invoices/{pk}/issue/", {"confirmed": "1"}
    )
    if status == 0 or status >= 500:
        return False
    if not any(t in text for t in ISSUED_TEXTS):
        seen.problems.append(f"{number}: issue not confirmed ({status} {final})")
        return True
    seen.issued.add(pk)

    city = f"/m/{world.municipality.slug}/invoices/{pk}/"
    staff.request("GET", city)
    status, final, text = staff.request(
        "POST", city + "approve/", {"inspection_date": today, "confirmed": "1"}
    )
    if status == 0 or status >= 500:
        return False
    if not any(t in text for t in APPROVED_TEXTS):
        seen.problems.append(f"{number}: approve not confirmed ({status} {final})")
        return True
    seen.approved.add(pk)
    return True
