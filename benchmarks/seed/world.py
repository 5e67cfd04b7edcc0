"""The seeded world: municipalities and departments, staff for every
role, suppliers with their owners, bank accounts and connections."""

import csv
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth.hashers import make_password

from accounts.models import User
from accounts.services import user_totp_activate
from invoices.snapshot import bank_account_snapshot
from municipality.models import (
    Department,
    Municipality,
    StaffMembership,
    StaffRole,
    TreasurySettings,
)
from municipality.validators import (
    corporate_check_digit,
    local_government_check_digit,
)
from partners.models import (
    BankAccount,
    Connection,
    LegalForm,
    PriceBasis,
    Supplier,
    SupplierMembership,
    SupplierRole,
    TaxRounding,
)

# Kanoya City's 55 departments, as the demo seeds them.
KANOYA_DEPARTMENTS = (
    Path(__file__).resolve().parents[2] / "demo/data/kanoya-departments.csv"
)
# Every seeded user's password, and the city administrators' authenticator
# secret (as the tests' factories use): a benchmark database holds no secrets.
PASSWORD = "bench-password-not-secret"  # noqa: S105
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105
SUPPLIERS = 3000
# (名称, 5-digit code body, slug); Kanoya first.
MUNICIPALITIES = [
    ("鹿屋市", "カノヤシ", "46203", "kanoya"),
    ("霧島市", "キリシマシ", "46218", "kirishima"),
    ("志布志市", "シブシシ", "46221", "shibushi"),
    ("曽於市", "ソオシ", "46217", "soo"),
]
GENERIC_DEPARTMENTS = [
    "総務課", "財政課", "企画課", "税務課", "市民課", "福祉課", "健康増進課",
    "子育て支援課", "農政課", "商工観光課", "建設課", "都市計画課", "上下水道課",
    "教育総務課", "学校教育課", "生涯学習課", "消防本部", "環境政策課",
    "会計課", "議会事務局",
]  # fmt: skip
PLACES = [
    ("鹿屋", "カノヤ"), ("大隅", "オオスミ"), ("霧島", "キリシマ"),
    ("志布志", "シブシ"), ("垂水", "タルミズ"), ("串良", "クシラ"),
    ("吾平", "アイラ"), ("輝北", "キホク"), ("高隈", "タカクマ"),
    ("肝属", "キモツキ"), ("錦江", "キンコウ"), ("桜島", "サクラジマ"),
    ("南九州", "ミナミキュウシュウ"), ("薩摩", "サツマ"), ("国分", "コクブ"),
    ("曽於", "ソオ"), ("東串良", "ヒガシクシラ"), ("大崎", "オオサキ"),
    ("笠野原", "カサノハラ"), ("花岡", "ハナオカ"),
]  # fmt: skip
TRADES = [
    ("建設", "ケンセツ"), ("商事", "ショウジ"), ("電機", "デンキ"),
    ("印刷", "インサツ"), ("設備", "セツビ"), ("食品", "ショクヒン"),
    ("運輸", "ウンユ"), ("造園", "ゾウエン"), ("測量設計", "ソクリョウセッケイ"),
    ("事務機", "ジムキ"), ("石油", "セキユ"), ("電設", "デンセツ"),
    ("管工業", "カンコウギョウ"), ("土木", "ドボク"), ("医療器", "イリョウキ"),
    ("清掃", "セイソウ"), ("警備保障", "ケイビホショウ"),
    ("情報システム", "ジョウホウシステム"), ("塗装", "トソウ"),
    ("書店", "ショテン"), ("給食", "キュウショク"), ("リース", "リース"),
    ("産業", "サンギョウ"), ("工務店", "コウムテン"), ("自動車", "ジドウシャ"),
    ("通信", "ツウシン"), ("薬品", "ヤクヒン"), ("家具", "カグ"),
    ("園芸", "エンゲイ"), ("環境", "カンキョウ"),
]  # fmt: skip
# (name pattern, kana pattern, legal form)
FORMS = [
    ("株式会社{}", "{}", LegalForm.CORPORATION),
    ("{}株式会社", "{}", LegalForm.CORPORATION),
    ("有限会社{}", "{}", LegalForm.CORPORATION),
    ("{}協同組合", "{}キョウドウクミアイ", LegalForm.CORPORATION),
    ("{}事務所", "{}ジムショ", LegalForm.INDIVIDUAL),
]


def corporate_number(n: int) -> str:
    body = f"{n:012d}"
    return f"{corporate_check_digit(body)}{body}"


@dataclass
class World:
    municipalities: list[Municipality]
    departments: list[Department]
    connections: list[Connection]
    suppliers: dict[int, Supplier]
    accounts: dict[int, dict]  # supplier id → bank account snapshot
    owners: dict[int, User]  # supplier id → its owner
    department_staff: dict[int, User]  # department id → its staff member
    treasury: dict[int, User]  # municipality id → treasury user
    city_admins: dict[int, User] = field(default_factory=dict)


def _departments_for(municipality: Municipality, count: int) -> list[Department]:
    if municipality.slug == "kanoya":
        with KANOYA_DEPARTMENTS.open(encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        made = {
            row["code"]: Department.objects.create(
                municipality=municipality, code=row["code"], name=row["name"]
            )
            for row in rows
        }
        for row in rows:
            if row["parent_code"]:
                made[row["code"]].parent = made[row["parent_code"]]
                made[row["code"]].save(update_fields=["parent"])
        return list(made.values())
    return [
        Department.objects.create(
            municipality=municipality, code=f"{(i + 1) * 10:03d}", name=name
        )
        for i, name in enumerate(GENERIC_DEPARTMENTS[:count])
    ]


def _users(rows: list[tuple[str, str]], password: str) -> list[User]:
    return User.objects.bulk_create(
        [User(email=email, name=name, password=password) for email, name in rows]
    )


def world_create(*, suppliers: int, departments_each: int, rng) -> World:
    # One password for everyone, hashed once (hashing thousands would take
    # minutes).
    password = make_password(PASSWORD)
    municipalities, departments = [], []
    department_staff, treasury, city_admins = {}, {}, {}
    for name, kana, body, slug in MUNICIPALITIES:
        code = f"{body}{local_government_check_digit(body)}"
        municipality = Municipality.objects.create(
            name=name,
            name_kana=kana,
            local_government_code=code,
            corporate_number=corporate_number(int(f"20{code}")),
            slug=slug,
            address=f"鹿児島県{name}",
        )
        municipalities.append(municipality)
        TreasurySettings.objects.create(
            municipality=municipality,
            originator_code=f"{int(code):010d}",
            originator_name_kana="ｶｲｹｲｶﾝﾘｼﾔ",
            bank_code="0187",
            branch_code="101",
            account_number=f"{int(code) % 10_000_000:07d}",
        )
        own = _departments_for(municipality, departments_each)
        departments += own
        staff = _users(
            [(f"staff-{slug}-{d.code}@bench.example.jp", f"{d.name}担当") for d in own]
            + [
                (f"treasury-{slug}@bench.example.jp", f"{name}会計"),
                (f"admin-{slug}@bench.example.jp", f"{name}管理者"),
            ],
            password,
        )
        for department, user in zip(own, staff, strict=False):
            membership = StaffMembership.objects.create(
                user=user, municipality=municipality, role=StaffRole.DEPARTMENT
            )
            membership.departments.add(department)
            department_staff[department.pk] = user
        treasury[municipality.pk], city_admins[municipality.pk] = staff[-2:]
        StaffMembership.objects.create(
            user=staff[-2], municipality=municipality, role=StaffRole.TREASURY
        )
        StaffMembership.objects.create(
            user=staff[-1], municipality=municipality, role=StaffRole.CITY_ADMIN
        )
        user_totp_activate(user=staff[-1], secret=TOTP_SECRET)

    names = [
        (pattern.format(place + trade), kana.format(place_kana + trade_kana), form)
        for place, place_kana in PLACES
        for trade, trade_kana in TRADES
        for pattern, kana, form in FORMS
    ]
    rng.shuffle(names)
    made = Supplier.objects.bulk_create(
        [
            Supplier(
                legal_name=name,
                name_kana=kana,
                legal_form=form,
                registration_number=f"T{corporate_number(5_000_000 + i)}",
                corporate_number=(
                    corporate_number(5_000_000 + i)
                    if form == LegalForm.CORPORATION
                    else ""
                ),
                postal_code="893-0000",
                address=f"鹿児島県鹿屋市共栄町{i % 30 + 1}番{i % 17 + 1}号",
                phone=f"0994-{i % 90 + 10:02d}-{i:04d}",
                tax_rounding=rng.choice(list(TaxRounding)),
                default_price_basis=(
                    PriceBasis.INCLUSIVE if i % 10 == 0 else PriceBasis.EXCLUSIVE
                ),
            )
            for i, (name, kana, form) in enumerate(names[:suppliers])
        ]
    )
    owners_made = _users(
        [(f"supplier-{s.pk}@bench.example.jp", f"{s.legal_name} 担当") for s in made],
        password,
    )
    SupplierMembership.objects.bulk_create(
        [
            SupplierMembership(user=user, supplier=supplier, role=SupplierRole.OWNER)
            for supplier, user in zip(made, owners_made, strict=True)
        ]
    )
    accounts = BankAccount.objects.bulk_create(
        [
            BankAccount(
                supplier=supplier,
                bank_code="0187",
                bank_name="鹿児島銀行",
                branch_code=f"{101 + i % 80:03d}",
                branch_name=f"支店{101 + i % 80}",
                account_number=f"{1_000_000 + i:07d}",
                holder_kana="ｶ)ﾍﾞﾝﾁ",
                holder_input=supplier.legal_name,
                is_default=True,
            )
            for i, supplier in enumerate(made)
        ]
    )
    # Each supplier works for one to six departments, mostly in one city.
    pairs: set[tuple[int, int]] = set()
    for supplier in made:
        home = rng.choice(municipalities)
        own = [d for d in departments if d.municipality_id == home.pk]
        for _ in range(rng.choice((1, 1, 2, 2, 3, 4, 6))):
            pool = own if rng.random() < 0.85 else departments
            pairs.add((supplier.pk, rng.choice(pool).pk))
    # Every department has suppliers.
    for i, department in enumerate(departments):
        pairs.add((made[i % len(made)].pk, department.pk))
    by_pk = {d.pk: d for d in departments}
    connections = Connection.objects.bulk_create(
        [
            Connection(
                municipality_id=by_pk[department_id].municipality_id,
                supplier_id=supplier_id,
                department_id=department_id,
                payee_code=f"P{supplier_id:06d}",
            )
            for supplier_id, department_id in sorted(pairs)
        ]
    )
    return World(
        municipalities=municipalities,
        departments=departments,
        connections=connections,
        suppliers={s.pk: s for s in made},
        accounts={a.supplier_id: bank_account_snapshot(a) for a in accounts},
        owners={s.pk: u for s, u in zip(made, owners_made, strict=True)},
        department_staff=department_staff,
        treasury=treasury,
        city_admins=city_admins,
    )
