"""Apps depend one way (README, "Layout"): a module may import its own layer
and the layers below it, never one above it or a sibling. Imports are read
with ``ast`` from every source file, function-level ones included (an import
inside a function hides a cycle, it does not remove it), and so are the
``include("app.urls")`` strings of URL modules."""

import ast
from pathlib import Path

import pytest
from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent

# Lowest first. peppol and treasury both sit on invoices and know nothing of
# each other; config puts the apps together (settings, URLs, admin site, the
# role switcher, the tenancy middleware) and may import any of them.
ORDER = {
    "accounts": 0,
    "municipality": 1,
    "partners": 2,
    "invoices": 3,
    "peppol": 4,
    "treasury": 4,
    # Orders, deliveries and inspections; an invoice's order is linked
    # from here (procurement.InvoiceOrder), so invoices knows nothing of it.
    "procurement": 4,
    # The suppliers' REST API calls the same services as the pages.
    "api": 5,
    "config": 6,
    # Backup, restore and the sweeper read every app (no models of its own).
    "operations": 6,
    # The demo world (seed_demo) is built through every app's services.
    "demo": 7,
}

# Modules whose layer is not their package's: the treasury is a package
# inside municipality (dotted prefixes; a module or a package of that name).
LAYER_OF_PREFIX = {
    "treasury": "treasury",
    "municipality.treasury": "treasury",
    "municipality.management.commands.export_zengin": "treasury",
}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        if prefix in LAYER_OF_PREFIX:
            return LAYER_OF_PREFIX[prefix]
    return parts[0] if parts[0] in ORDER else None


def _modules() -> dict[str, Path]:
    found = {}
    for app in ORDER:
        for path in sorted((ROOT / app).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(module: str, path: Path):
    """(line, imported module) for every import in ``path``."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # ``from municipality import views_treasury`` names a module.
            names = {f"{base}.{alias.name}" for alias in node.names}
            for imported in sorted({n if n in MODULES else base for n in names}):
                yield node.lineno, imported
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", None) == "include"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value


def _violations():
    for module, path in MODULES.items():
        own = _layer(module)
        for line, imported in _imports(module, path):
            target = _layer(imported)
            if target is None or target == own:
                continue
            if ORDER[target] >= ORDER[own]:
                yield module, line, imported, own, target


def test_every_local_app_has_a_place_in_the_order():
    local = {
        config.name.split(".")[0]
        for config in apps.get_app_configs()
        if Path(config.path).parent == ROOT
    }
    assert local - set(ORDER) == set()


@pytest.mark.parametrize("app", sorted(ORDER))
def test_no_module_imports_an_app_above_it(app):
    found = [
        f"{module}:{line} imports {imported} ({own} must not depend on {target})"
        for module, line, imported, own, target in _violations()
        if module.split(".")[0] == app
    ]
    assert found == []
