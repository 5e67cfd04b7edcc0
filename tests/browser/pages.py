"""Every page of every role, for browser tests that visit them all.

The tenancy matrix (``tests.test_tenancy.MATRIX``) lists every URL with who
may open it in the world of ``tests.tenancy.build_world``; ``pages_of``
picks one granted URL per GET page for a role (downloads — PDF, CSV, ZIP,
XML, attachments — are not pages), plus its own account pages, or the
login pages for anonymous visitors.
"""

import re

from django.urls import reverse

from tests.tenancy.entries import targets
from tests.test_tenancy import MATRIX, PATTERNS

# One role of each kind, in the world's first municipality and supplier.
VISITORS = (
    "anonymous",
    "no_role",
    "supplier_a_owner",
    "supplier_a_clerk",
    "kanoya_a1_staff",
    "kanoya_treasury",
    "kanoya_city_admin",
)
# URL names of files, not pages (and of the JSON the pages poll).
DOWNLOADS = re.compile(
    r"pdf|xml|export|zengin|csv|attachment|seal|template|download|_status$"
    r"|bank_lookup"
)
ACCOUNT_PAGES = (
    "notification_settings",
    "account_change_password",
    "mfa_index",
    "account_email",
    "two_factor_required",
)
ANONYMOUS_PAGES = ("account_login", "account_reset_password")


def pages_of(role_name: str, world) -> list[str]:
    """The URL of every page ``role_name`` may open in ``world``."""
    pages = []
    for name, entry in MATRIX.items():
        pattern = PATTERNS.get(name)
        if not hasattr(entry, "side") or pattern is None:
            continue
        if "get" not in pattern.methods or DOWNLOADS.search(name):
            continue
        for target in targets(name, entry, world, pattern.params):
            if role_name in target.allowed:
                pages.append(target.url)
                break
    if role_name == "anonymous":
        pages += [reverse(n) for n in ANONYMOUS_PAGES]
    else:
        pages += [reverse(n) for n in ACCOUNT_PAGES]
    return pages
