"""Issue an invoice through the portal's API, with the standard library only.

    PORTAL_URL=https://portal.example.jp PORTAL_API_KEY=ipk_… \
        python examples/api_client.py

1. lists the departments the supplier may invoice and takes the first;
2. registers and issues an invoice there (an Idempotency-Key makes a resent
   request safe: the portal answers it with the first result);
3. prints its status and history, and saves its PDF once it is rendered.

A refusal prints the portal's message and each field's problem, e.g.
``lines.0.quantity: 1行目: 数量を入力してください。``.
"""

import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import date


class PortalError(Exception):
    def __init__(self, status: int, body: dict):
        self.status, self.body = status, body
        lines = [f"{status}: {body.get('message', '')}"]
        lines += [
            f"  {e.get('field') or '-'}: {e['message']}" for e in body.get("errors", [])
        ]
        super().__init__("\n".join(lines))


class Portal:
    def __init__(self, url: str, key: str):
        self.base = url.rstrip("/") + "/api/v1"
        self.key = key

    def call(self, method: str, path: str, body: dict | None = None, *, raw=False):
        headers = {"Authorization": f"Bearer {self.key}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if method == "POST":
            headers["Idempotency-Key"] = str(uuid.uuid4())
        request = urllib.request.Request(
            self.base + path, data=data, headers=headers, method=method
        )
        for attempt in range(5):
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    content = response.read()
                    if raw:
                        return response.status, content
                    return json.loads(content)
            except urllib.error.HTTPError as error:
                if error.code == 429 and attempt < 4:
                    time.sleep(int(error.headers.get("Retry-After", "1")))
                    continue  # the same Idempotency-Key: never a second invoice
                raise PortalError(
                    error.code, json.loads(error.read() or b"{}")
                ) from None
        raise AssertionError("unreachable")


def main() -> int:
    portal = Portal(os.environ["PORTAL_URL"], os.environ["PORTAL_API_KEY"])
    departments = portal.call("GET", "/departments")
    if not departments:
        print("請求書を送れる宛先がありません。", file=sys.stderr)
        return 1
    department = departments[0]
    today = date.today().isoformat()
    try:
        invoice = portal.call(
            "POST",
            "/invoices",
            {
                "department": department["id"],
                "number": os.environ.get(
                    "INVOICE_NUMBER", f"API-{uuid.uuid4().hex[:8]}"
                ),
                "issue_date": today,
                "transaction_date": today,
                "subject": "コピー用紙",
                "lines": [
                    {
                        "description": "コピー用紙 A4",
                        "quantity": "10",
                        "unit": "箱",
                        "unit_price": "2500",
                        "tax_category": "S",
                    },
                ],
                "issue": True,
            },
        )
    except PortalError as error:
        print(error, file=sys.stderr)
        return 2
    print(
        f"発行しました: {invoice['number']} 受付番号 {invoice['receipt_number']} "
        f"{department['municipality']} {department['name']} 合計 {invoice['total']}円"
    )
    for event in portal.call("GET", f"/invoices/{invoice['id']}/history"):
        print(f"  {event['at']} {event['label']}")
    for _ in range(30):
        status, content = portal.call("GET", f"/invoices/{invoice['id']}/pdf", raw=True)
        if status == 200:
            path = f"{invoice['number']}.pdf"
            with open(path, "wb") as file:
                file.write(content)
            print(f"PDF: {path}")
            return 0
        time.sleep(1)  # 202: still being rendered
    print("PDFはまだ作成中です。あとで読み直してください。", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
