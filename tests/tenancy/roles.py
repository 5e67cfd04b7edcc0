"""The roles of the tenancy matrix (what a membership grants) and the
world's objects as URLs name them."""

from dataclasses import dataclass

# Role kinds: what a membership grants.
ANONYMOUS = "anonymous"
NO_ROLE = "no_role"  # logged in, but a member of nothing
OWNER = "owner"  # 取引先・管理者
CLERK = "clerk"  # 取引先・担当者
DEPARTMENT = "department"
TREASURY = "treasury"
CITY_ADMIN = "city_admin"

MEMBERS = frozenset({OWNER, CLERK})
STAFF = frozenset({DEPARTMENT, TREASURY, CITY_ADMIN})
EVERYONE = frozenset({ANONYMOUS, NO_ROLE, *MEMBERS, *STAFF})

KANOYA, KIRISHIMA = "kanoya", "kirishima"
# A slug no municipality has: city and public pages answer 404 there.
NOWHERE = "nowhere"


@dataclass(frozen=True)
class Role:
    kind: str
    city: str = ""
    supplier: str = ""
    department: str = ""


ROLES = {
    "anonymous": Role(ANONYMOUS),
    "no_role": Role(NO_ROLE),
    "supplier_a_owner": Role(OWNER, supplier="a"),
    "supplier_a_clerk": Role(CLERK, supplier="a"),
    "supplier_b_owner": Role(OWNER, supplier="b"),
    "kanoya_a1_staff": Role(DEPARTMENT, city=KANOYA, department="A1"),
    "kanoya_a2_staff": Role(DEPARTMENT, city=KANOYA, department="A2"),
    "kanoya_treasury": Role(TREASURY, city=KANOYA),
    "kanoya_city_admin": Role(CITY_ADMIN, city=KANOYA),
    "kirishima_b1_staff": Role(DEPARTMENT, city=KIRISHIMA, department="B1"),
    "kirishima_b2_staff": Role(DEPARTMENT, city=KIRISHIMA, department="B2"),
    "kirishima_treasury": Role(TREASURY, city=KIRISHIMA),
    "kirishima_city_admin": Role(CITY_ADMIN, city=KIRISHIMA),
}


@dataclass(frozen=True)
class Obj:
    """One object of the world as a URL names it (``kwargs``), and whose it
    is: its municipality, department and supplier."""

    label: str
    kwargs: dict
    city: str = ""
    department: str = ""
    supplier: str = ""
    marker: str = ""  # text a page listing it shows (an invoice number)
    # A role name: only this role may open it, where its memberships let it
    # (a ZIP export belongs to the user who asked for it).
    requester: str = ""
