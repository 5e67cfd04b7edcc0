"""The demo logins: users in every role, their staff roles and two-factor setup."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from accounts.models import User
from accounts.services import user_email_set_verified, user_totp_activate
from accounts.twofactor import two_factor_enabled
from demo.cities import KANOYA, KIRISHIMA
from demo.staff import KENCHIKU_STAFF
from municipality.models import Department, Municipality, StaffMembership, StaffRole
from municipality.services import staff_membership_grant

if TYPE_CHECKING:
    from demo.world import DemoSeedResult

# Published with the demo logins on purpose; set only on users the seed
# creates, so a password changed during a demo stays changed.
DEMO_PASSWORD = "kanoya-demo-2026"  # noqa: S105
# The authenticator-app (TOTP) secret of the demo's platform and city
# administrators, who must use two-factor authentication. Published too:
# ``manage.py demo_totp`` or ``oathtool --totp -b <secret>`` prints a code.
DEMO_TOTP_SECRET = "KANOYADEMOTOTPSECRETKANOYADEMOXX"  # noqa: S105


@dataclass(frozen=True)
class DemoLogin:
    """A demo user, and what the command tells people to try with it."""

    email: str
    name: str
    role: str
    is_superuser: bool = False
    # Created by accepting a city administrator's invitation
    # (``demo.staff``), not by the seed directly.
    invited: bool = False


DEMO_LOGINS = (
    DemoLogin(
        "admin@example.jp",
        "運営 太郎",
        "プラットフォーム管理者（管理サイト）",
        is_superuser=True,
    ),
    DemoLogin("kanoya-admin@example.jp", "東 健一", "鹿屋市 自治体管理者"),
    DemoLogin("kanoya-treasury@example.jp", "前田 美和", "鹿屋市 会計管理者・出納室"),
    DemoLogin(
        "kanoya-kosodate@example.jp", "中村 陽子", "鹿屋市 部署担当者（子育て支援課）"
    ),
    DemoLogin(
        "kanoya-gakko@example.jp",
        "田中 誠",
        "鹿屋市 部署担当者（学校教育課と配下の5施設）",
    ),
    DemoLogin(
        "multi@example.jp",
        "山下 亮",
        "役割の切り替え: 鹿屋市 自治体管理者・部署担当者（総務課）、"
        "霧島市 部署担当者（総務課）",
    ),
    DemoLogin("kirishima-admin@example.jp", "有村 直樹", "霧島市 自治体管理者"),
    DemoLogin(
        "kirishima-treasury@example.jp", "福永 里美", "霧島市 会計管理者・出納室"
    ),
    DemoLogin("kirishima-staff@example.jp", "川畑 大輔", "霧島市 部署担当者（財政課）"),
    DemoLogin(
        "supplier-owner@example.jp",
        "中島 浩二",
        "取引先 管理者: 株式会社おおすみ文具（鹿屋市・霧島市と取引）",
    ),
    DemoLogin(
        "supplier-clerk@example.jp",
        "坂元 さくら",
        "取引先 担当者: 株式会社おおすみ文具",
    ),
    DemoLogin(
        "kyushoku@example.jp", "松元 恵子", "取引先 管理者: 有限会社かのや給食サービス"
    ),
    DemoLogin(
        "yamada@example.jp",
        "山田 太郎",
        "取引先 管理者: 山田設計事務所（個人事業主・源泉徴収あり・印影あり）",
    ),
    DemoLogin(
        KENCHIKU_STAFF.email,
        KENCHIKU_STAFF.name,
        "鹿屋市 部署担当者（建築住宅課・都市政策課）: 自治体管理者の招待から登録",
        invited=True,
    ),
)

# (email, municipality, role, department codes)
_STAFF_ROLES = (
    ("kanoya-admin@example.jp", KANOYA, StaffRole.CITY_ADMIN, ()),
    ("kanoya-treasury@example.jp", KANOYA, StaffRole.TREASURY, ()),
    ("kanoya-kosodate@example.jp", KANOYA, StaffRole.DEPARTMENT, ("200",)),
    (
        "kanoya-gakko@example.jp",
        KANOYA,
        StaffRole.DEPARTMENT,
        ("050", "05001", "05002", "05003", "05004", "05005"),
    ),
    ("multi@example.jp", KANOYA, StaffRole.DEPARTMENT, ("330",)),
    ("multi@example.jp", KANOYA, StaffRole.CITY_ADMIN, ()),
    ("multi@example.jp", KIRISHIMA, StaffRole.DEPARTMENT, ("010",)),
    ("kirishima-admin@example.jp", KIRISHIMA, StaffRole.CITY_ADMIN, ()),
    ("kirishima-treasury@example.jp", KIRISHIMA, StaffRole.TREASURY, ()),
    ("kirishima-staff@example.jp", KIRISHIMA, StaffRole.DEPARTMENT, ("020",)),
)


def demo_login_needs_two_factor(login: DemoLogin) -> bool:
    """Platform and city administrators must use two-factor authentication."""
    return login.is_superuser or any(
        email == login.email and role == StaffRole.CITY_ADMIN
        for email, _, role, _ in _STAFF_ROLES
    )


def _user_ensure(login: DemoLogin, result: "DemoSeedResult") -> User:
    user = User.objects.filter(email__iexact=login.email).first()
    if user is None:
        if login.is_superuser:
            create = User.objects.create_superuser
        else:
            create = User.objects.create_user
        user = create(login.email, DEMO_PASSWORD, name=login.name)
        # As an invitation would: the address is verified (password reset
        # mails only verified addresses).
        user_email_set_verified(user=user)
        result.add("利用者")
    return user


def _two_factor_ensure(user: User, result: "DemoSeedResult") -> None:
    """Give a demo administrator the published TOTP secret, if they still
    have the published password (so it opens nothing that was not open)
    and no authenticator app of their own."""
    if two_factor_enabled(user) or not user.check_password(DEMO_PASSWORD):
        return
    user_totp_activate(user=user, secret=DEMO_TOTP_SECRET)
    result.add("二段階認証")


def _staff_role_ensure(
    *,
    user: User,
    municipality: Municipality,
    role: StaffRole,
    departments: list[Department],
    result: "DemoSeedResult",
) -> None:
    membership = StaffMembership.objects.filter(
        user=user, municipality=municipality, role=role
    ).first()
    present = (
        set(membership.departments.values_list("pk", flat=True))
        if membership
        else set()
    )
    missing = [d for d in departments if d.pk not in present]
    if membership is None or missing:
        staff_membership_grant(
            user=user,
            municipality=municipality,
            role=role,
            departments=missing,
            actor=None,
        )
        if membership is None:
            result.add("職員の役割")
        result.add("担当部署", len(missing))
