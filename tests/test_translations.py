"""Every user-facing string is marked for translation and translated into
English (issue 12.1; DESIGN.md: "all strings marked for translation").

- ``makemessages`` run over a copy of the project finds no string that is
  missing from the committed ``locale/en/LC_MESSAGES/django.po``, none that
  is only there, and the committed catalog has an English ``msgstr`` for
  every entry (none empty, none fuzzy).
- A scanner finds Japanese text that is not marked: in templates, outside
  ``{% translate %}``, ``{% blocktranslate %}…{% endblocktranslate %}`` and
  comments; in the apps' Python, string literals outside docstrings,
  gettext calls and logger calls. Data that must stay as it is (parsed
  column headers, Zengin kana tables, era names, demo data) is listed in
  ``PYTHON_DATA`` with the reason.

Each failure names the msgid, or the file and line, to fix. After marking
a string, run
``python manage.py makemessages -l en --no-obsolete --add-location file``
and fill the new ``msgstr`` (README, "Languages").
"""

import ast
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[1]
PO = Path("locale", "en", "LC_MESSAGES", "django.po")
APPS = (
    "accounts",
    "config",
    "municipality",
    "partners",
    "invoices",
    "peppol",
    "api",
    "procurement",
    "demo",
)
TEMPLATE_DIRS = ("templates",)

# Kana (full and half width) and CJK ideographs.
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]")


# The catalog ---------------------------------------------------------------


@dataclass
class Entry:
    msgstrs: list[str] = field(default_factory=list)
    fuzzy: bool = False


def _unquote(text: str) -> str:
    return ast.literal_eval(text)


def read_po(path: Path) -> dict[tuple[str, str], Entry]:
    """``(msgctxt, msgid)`` → its translations, from a .po file (obsolete
    ``#~`` entries and the header left out)."""
    entries: dict[tuple[str, str], Entry] = {}
    ctxt = msgid = None
    current = None  # the field continuation lines add to
    parts: dict[str, str] = {}
    fuzzy = False

    def flush():
        nonlocal ctxt, msgid, parts, fuzzy
        if msgid:
            strs = [v for k, v in sorted(parts.items()) if k.startswith("msgstr")]
            entries[(ctxt or "", msgid)] = Entry(strs, fuzzy)
        ctxt = msgid = None
        parts, fuzzy = {}, False

    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            flush()
            current = None
        elif line.startswith("#,"):
            fuzzy = fuzzy or "fuzzy" in line
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            parts[current] += _unquote(line)
            if current == "msgid":
                msgid = parts["msgid"]
            elif current == "msgctxt":
                ctxt = parts["msgctxt"]
        else:
            key, _, value = line.partition(" ")
            current = key
            parts[key] = _unquote(value)
            if key == "msgid":
                msgid = parts[key]
            elif key == "msgctxt":
                ctxt = parts[key]
    return entries


def _label(key: tuple[str, str]) -> str:
    ctxt, msgid = key
    return f"  {msgid!r}" + (f" (context {ctxt!r})" if ctxt else "")


def _copy_project(target: Path) -> None:
    shutil.copytree(
        ROOT,
        target,
        ignore=shutil.ignore_patterns(
            ".*", "var", "test-artifacts", "__pycache__", "*.mo", "node_modules"
        ),
    )


def test_makemessages_finds_nothing_unmarked_or_untranslated(
    tmp_path, monkeypatch, settings
):
    committed = read_po(ROOT / PO)
    copy = tmp_path / "project"
    _copy_project(copy)
    monkeypatch.chdir(copy)
    settings.LOCALE_PATHS = [copy / "locale"]
    call_command(
        "makemessages",
        locale=["en"],
        no_obsolete=True,
        add_location="file",
        verbosity=0,
    )
    extracted = read_po(copy / PO)

    problems = []
    if new := sorted(extracted.keys() - committed.keys()):
        problems.append(
            "Marked in the code but not in locale/en/LC_MESSAGES/django.po "
            "(run makemessages and translate them):\n" + "\n".join(map(_label, new))
        )
    if gone := sorted(committed.keys() - extracted.keys()):
        problems.append(
            "In django.po but no longer in the code (run makemessages "
            "--no-obsolete):\n" + "\n".join(map(_label, gone))
        )
    untranslated = sorted(
        key for key, entry in committed.items() if entry.fuzzy or not all(entry.msgstrs)
    )
    if untranslated:
        problems.append(
            "Without an English msgstr (empty or fuzzy) in django.po:\n"
            + "\n".join(map(_label, untranslated))
        )
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


# Unmarked Japanese ---------------------------------------------------------

# Template parts whose text is translated or never shown.
_TEMPLATE_MARKED = re.compile(
    r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}"
    r"|\{#.*?#\}"
    r"|\{%\s*blocktrans(?:late)?\b.*?\{%\s*endblocktrans(?:late)?\s*%\}"
    r"|\{%\s*trans(?:late)?\s.*?%\}",
    re.S,
)


def _blank(match: re.Match) -> str:
    """The match replaced by its line breaks, so line numbers stay right."""
    return "\n" * match.group().count("\n")


def template_offences(path: Path) -> list[str]:
    text = _TEMPLATE_MARKED.sub(_blank, path.read_text(encoding="utf-8"))
    return [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}"
        for number, line in enumerate(text.splitlines(), 1)
        if JAPANESE.search(line)
    ]


def _templates() -> list[Path]:
    found = []
    for directory in TEMPLATE_DIRS:
        found += (ROOT / directory).rglob("*.html")
        found += (ROOT / directory).rglob("*.txt")
    for app in APPS:
        found += (ROOT / app).glob("templates/**/*.html")
        found += (ROOT / app).glob("templates/**/*.txt")
    return sorted(found)


def test_templates_have_no_unmarked_japanese():
    offences = [line for path in _templates() for line in template_offences(path)]
    if offences:
        pytest.fail(
            f"{len(offences)} template lines with Japanese outside "
            "{% translate %}/{% blocktranslate %}:\n" + "\n".join(offences),
            pytrace=False,
        )


# Calls whose string arguments are marked (or, for loggers, never shown).
GETTEXT = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}
LOGGERS = {"logger", "log", "logging"}
LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical", "log"}

# Python that holds data, not UI text: a module (``path``) or one top-level
# name in it (``path::NAME``), with the reason it stays Japanese.
PYTHON_DATA = {
    "config/settings/": "configuration: the sender's name in From and the "
    "language names each in its own language (the mail subject prefix is "
    "marked with gettext_noop)",
    "demo/world.py": "demo data: what the demo shows (the highlights "
    "seed_demo prints, naming its suppliers and invoices)",
    "demo/cities.py": "demo data: the names and addresses of the demo's "
    "cities and of their departments, and seed-summary labels",
    "demo/logins.py": "demo data: the demo users' names and roles, and "
    "seed-summary labels",
    "demo/suppliers.py": "demo data: the demo suppliers' names, kana and "
    "addresses, and seed-summary labels",
    "demo/invoices.py": "demo data: the demo suppliers' invoices (subjects, "
    "lines, notes, a return's explanation) and seed-summary labels",
    "demo/staff.py": "demo data: the name of a demo staff member and "
    "seed-summary labels",
    "demo/treasury.py": "demo data: Kanoya's invented originator name in "
    "Zengin kana and seed-summary labels",
    "demo/data/": "seed data: Kanoya City's departments",
    "api/api.py::api": "the OpenAPI document's title and description, written "
    "once per process in the source language",
    "api/auth.py::SCHEME_DESCRIPTION": "the OpenAPI document's description of "
    "the key scheme",
    "api/endpoints.py::TAG_DEPARTMENTS": "an OpenAPI section name",
    "api/endpoints.py::TAG_INVOICES": "an OpenAPI section name",
    "api/imports.py::TAG_IMPORTS": "an OpenAPI section name",
    "api/notices.py::TAG_NOTICES": "an OpenAPI section name",
    "api/views/keys.py::EXAMPLE_INVOICE": "the guide's example request: user data",
    "demo/procurement.py": "demo data: Kanoya's budget codes, orders and "
    "deliveries, and seed-summary labels",
    "procurement/services/budget_codes.py::CSV_HEADERS": "budget code CSV "
    "column headers (the 財務会計 export), parsed verbatim",
    "procurement/services/budget_codes.py::_row_problems": "budget code CSV "
    "column names, parsed verbatim (the messages are marked)",
    "procurement/services/delivery_import.py": "the delivery CSV's column "
    "names, parsed verbatim (the messages are marked)",
    "procurement/services/order_import.py": "the 財務会計 order CSV: column "
    "names and the words of its 種類, 税区分 and 工事 columns, parsed "
    "verbatim (the messages are marked)",
    "invoices/csv_import/header.py::COLUMNS": "CSV upload column headers, "
    "parsed verbatim",
    "invoices/csv_import/cells.py::TAX_CATEGORY_LABELS": "tax category words "
    "of the CSV upload format, parsed verbatim",
    "invoices/csv_import/cells.py::_TAX_ALIASES": "what sales systems write "
    "for a tax category, parsed",
    "invoices/csv_import/cells.py::_ERA_DATE": "era names, parsed in dates",
    "invoices/csv_import/cells.py::_ERAS": "era names, parsed in dates",
    "invoices/csv_import/cells.py::_ERA_LETTERS": "era names, parsed in dates",
    "municipality/departments_csv.py::HEADERS": "department CSV column "
    "headers, parsed verbatim",
    "municipality/departments_csv.py::_TRUE": "有効 column values, parsed",
    "municipality/departments_csv.py::_FALSE": "有効 column values, parsed",
    "municipality/treasury/zengin.py::_ALLOWED": "the Zengin character set "
    "(half-width kana)",
    "municipality/treasury/services/accounting.py::ACCOUNTING_CSV_HEADER": "the "
    "column names the city's accounting system imports",
    "municipality/treasury/services/statements.py::WITHHOLDING_STATEMENT_HEADER": (
        "the column names of the 支払調書 summary, a file for the tax filing"
    ),
    "municipality/treasury/services/statements.py::STATEMENT_KINDS": "the 区分 "
    "values of the 支払調書 summary file",
    "municipality/treasury/services/statements.py::FILING_MARKS": "the 提出 "
    "values of the 支払調書 summary file",
    "municipality/treasury/services/remittance.py::REMITTANCE_CSV_HEADER": "the "
    "column names of the remittance data file, mapped by accounting software",
    "municipality/treasury/services/reconciliation.py::RECONCILIATION_CSV_HEADER": (
        "the column names of the reconciliation result file"
    ),
    "municipality/treasury/reconciliation/matching.py::_SMALL": "kana "
    "normalisation table",
    "municipality/treasury/reconciliation/matching.py::_NOT_NAME": "the kana "
    "kept when payer names are compared",
    "municipality/treasury/reconciliation/matching.py::_DASHES": "the dashes "
    "banks write in EDI text, normalised",
    "municipality/treasury/reconciliation/bank_csv.py::_DATE": "date words "
    "(年月日), parsed in bank CSVs",
    "municipality/treasury/reconciliation/bank_csv.py::_ERA_DATE": "era names, "
    "parsed in bank CSVs",
    "municipality/treasury/reconciliation/bank_csv.py::_ERA_BASE": "era names, "
    "parsed in bank CSVs",
    "municipality/treasury/reconciliation/bank_csv.py::_AMOUNT_NOISE": "the yen "
    "mark 円 removed from amounts",
    "municipality/validators.py::_SEPARATORS": "the dashes people type inside "
    "numbers (ー among them), removed",
    "municipality/resources.py::MUNICIPALITY_CODE": "department CSV column "
    "name, parsed verbatim",
    "municipality/resources.py::DEPARTMENT_CODE": "department CSV column name, "
    "parsed verbatim",
    "municipality/resources.py::DEPARTMENT_NAME": "department CSV column name, "
    "parsed verbatim",
    "municipality/resources.py::PARENT_CODE": "department CSV column name, "
    "parsed verbatim",
    "municipality/resources.py::ACTIVE": "department CSV column name, parsed verbatim",
    "municipality/resources.py::ACTIVE_WORDS": "a word the CSV's 有効 column "
    "accepts, parsed",
    "municipality/resources.py::INACTIVE_WORDS": "a word the CSV's 有効 column "
    "accepts, parsed",
    "partners/banking.py::_KAISHA": "Zengin abbreviations of company names "
    "(kana table)",
    "partners/banking.py::_CORPORATE_TERMS": "Zengin abbreviations of "
    "company names (kana table)",
    "partners/banking.py::_OFFICE_TERMS": "Zengin abbreviations of office "
    "names (kana table)",
    "partners/banking.py::_DASHES": "kana normalisation table",
    "partners/banking.py::_FULL_WIDTH_FIXES": "kana normalisation table",
    "partners/banking.py::_HALF_WIDTH_FIXES": "kana normalisation table",
    "partners/banking.py::_HOLDER_ALLOWED": "the Zengin character set",
    "peppol/ubl.py::UNIT_CODES": "unit words as people type them, mapped to "
    "UN/ECE Recommendation 20 codes",
    "invoices/exports/upload_format.py::_EXAMPLE_INVOICES": "example rows of "
    "the CSV upload template: file content in the upload format, which the "
    "upload parses",
    "invoices/exports/upload_format.py::upload_template_csv": "the CSV upload "
    "template's column headers, parsed by the upload",
    "invoices/exports/upload_format.py::_upload_rows": "the CSV upload format's "
    "column headers: the export is read back by the upload",
    "invoices/views/imports.py::COLUMN_HELP": "the CSV's own column names "
    "(their explanations are marked)",
    "invoices/csv_import/cells.py::_DATE_FORMS": "the date forms the upload "
    "accepts, the same in every language",
    "invoices/csv_import/cells.py::_era_date": "元 (first year of an era), "
    "parsed in dates",
    "invoices/fields.py::_DATE": "date pattern (年月日), parsed",
    "invoices/fields.py::_AMOUNT_NOISE": "what people type around an amount "
    "(円), parsed",
    "invoices/fields.py::_NUMBER_NOISE": "what people type around a number "
    "(円, ▲, △), parsed",
    "partners/banking.py::_SEARCH_SUFFIXES": "bank search: words dropped from "
    "a query (銀行, 支店)",
    "partners/banking.py::_SEARCH_DASHES": "bank search: dash normalisation",
    "partners/banking.py::_SEARCH_ABBREVIATIONS": "bank search: the master's "
    "abbreviations of kinds of institution",
    "municipality/fields.py::_DASHES": "dash normalisation of postal codes",
    "partners/forms/invitations.py::_KANA": "what a kana field may hold",
    "partners/forms/invitations.py::_LONG_VOWEL_AS_DASH": "phone number normalisation",
    "partners/resources.py::REGISTRATION_NUMBER": "payee master CSV column "
    "name, parsed on import",
    "partners/resources.py::SUPPLIER_NAME": "payee master CSV column name",
    "partners/resources.py::PAYEE_CODE": "payee master CSV column name, "
    "parsed on import",
    "peppol/inbound/mapping.py::UNIT_LABELS": "unit words stored on the lines "
    "of an imported invoice (invoice content, Japanese like the invoice)",
    "peppol/inbound/mapping.py::UNIT_PREFIX": "the 「単位: 」 remark written "
    "into the JP PINT XML and parsed back verbatim",
}
# Not scanned: tests, migrations, and management commands, whose output is
# the operator's console (like log lines), not the portal's UI.
PYTHON_SKIPPED = ("/migrations/", "/management/commands/", "/tests/")


def _call_name(node: ast.Call) -> tuple[str, str]:
    """(object, name) of the function called: ``("", "gettext")`` for
    ``gettext(...)``, ``("logger", "warning")`` for ``logger.warning(...)``."""
    func = node.func
    if isinstance(func, ast.Name):
        return "", func.id
    if isinstance(func, ast.Attribute):
        owner = func.value.id if isinstance(func.value, ast.Name) else ""
        return owner, func.attr
    return "", ""


def _exempt_nodes(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings, or inside a
    gettext or logger call."""
    exempt = set()
    for node in ast.walk(tree):
        if isinstance(
            node,
            ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef,
        ):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
            ):
                exempt.add(id(body[0].value))
        if isinstance(node, ast.Call):
            owner, name = _call_name(node)
            if (not owner and name in GETTEXT) or (
                owner in LOGGERS and name in LOG_METHODS
            ):
                exempt |= {id(n) for n in ast.walk(node)}
    return exempt


def _data_names(relative: str) -> set[str]:
    return {
        key.split("::", 1)[1]
        for key in PYTHON_DATA
        if "::" in key and key.split("::", 1)[0] == relative
    }


def _data_nodes(tree: ast.Module, names: set[str]) -> set[int]:
    """ids of every node under a top-level assignment to one of ``names``."""
    found = set()
    for statement in tree.body:
        targets = []
        if isinstance(statement, ast.Assign):
            targets = statement.targets
        elif isinstance(statement, ast.AnnAssign):
            targets = [statement.target]
        if any(isinstance(t, ast.Name) and t.id in names for t in targets) or (
            isinstance(statement, ast.FunctionDef) and statement.name in names
        ):
            found |= {id(n) for n in ast.walk(statement)}
    return found


def python_offences(path: Path) -> list[str]:
    relative = path.relative_to(ROOT).as_posix()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _exempt_nodes(tree) | _data_nodes(tree, _data_names(relative))
    return [
        f"{relative}:{node.lineno}: {node.value.strip()[:80]!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skip
        and JAPANESE.search(node.value)
    ]


def _python_files() -> list[Path]:
    whole = tuple(key for key in PYTHON_DATA if "::" not in key)
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if any(part in f"/{relative}" for part in PYTHON_SKIPPED):
                continue
            if relative.startswith(whole):
                continue
            found.append(path)
    return found


def test_python_has_no_unmarked_japanese():
    offences = [line for path in _python_files() for line in python_offences(path)]
    if offences:
        pytest.fail(
            f"{len(offences)} Japanese string literals in the apps that are not "
            "marked for translation (gettext/gettext_lazy…) nor listed in "
            "PYTHON_DATA:\n" + "\n".join(offences),
            pytrace=False,
        )


def _top_level_names(path: Path) -> set[str]:
    names = set()
    for statement in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(statement, ast.Assign):
            names |= {getattr(t, "id", None) for t in statement.targets}
        elif isinstance(statement, ast.AnnAssign):
            names.add(getattr(statement.target, "id", None))
        elif isinstance(statement, ast.FunctionDef):
            names.add(statement.name)
    return names


def test_every_data_entry_names_something_that_exists():
    """An entry left behind by a rename would hide nothing, silently."""
    missing = []
    for key in PYTHON_DATA:
        relative, _, name = key.partition("::")
        path = ROOT / relative
        if not path.exists() or (name and name not in _top_level_names(path)):
            missing.append(key)
    assert not missing, missing


@pytest.mark.parametrize(
    ("template", "offending"),
    [
        ("<p>請求書</p>", True),
        ('<p>{% translate "請求書" %}</p>', False),
        ("{% blocktranslate %}請求書{{ n }}{% endblocktranslate %}", False),
        ("{% blocktranslate trimmed %}\n請求\n書{% endblocktranslate %}", False),
        ("{# 請求書 #}", False),
        ("{% comment %}\n請求書\n{% endcomment %}", False),
        ('<input placeholder="例：請求書">', True),
    ],
)
def test_the_template_scanner(tmp_path, monkeypatch, template, offending):
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    path = tmp_path / "t.html"
    path.write_text(template, encoding="utf-8")
    assert bool(template_offences(path)) is offending


@pytest.mark.parametrize(
    ("source", "offending"),
    [
        ('x = "請求書"', True),
        ('x = f"{n}件"', True),
        ('x = _("請求書")', False),
        ('x = gettext("%(n)s件") % {"n": 1}', False),
        ('x = ngettext("%(n)s件", "%(n)s件", 2)', False),
        ('x = pgettext_lazy("c", "請求書")', False),
        ('def f():\n    """請求書."""', False),
        ('logger.warning("保存しました: %s", x)', False),
        ('messages.success(request, "保存しました。")', True),
        ('COLUMNS = ("請求書番号",)', False),  # listed as data below
        ('OTHER = ("請求書番号",)', True),
    ],
)
def test_the_python_scanner(tmp_path, monkeypatch, source, offending):
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    monkeypatch.setitem(PYTHON_DATA, "m.py::COLUMNS", "test")
    path = tmp_path / "m.py"
    path.write_text(source, encoding="utf-8")
    assert bool(python_offences(path)) is offending
