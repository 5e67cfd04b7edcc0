"""Services take keyword-only arguments, and the person acting is typed
(``actor: User``), so a call reads as a sentence and cannot swap two
arguments (issue 12, point 7). Checked with ``inspect`` on every public
function defined in a ``services`` module or package. A helper of one
argument (``invoice_jp_pint(invoice)``) may take it positionally: there is
nothing to swap; a writer (it has an ``actor``) may not."""

import importlib
import inspect
from pathlib import Path

import pytest

from accounts.models import User

ROOT = Path(__file__).resolve().parent.parent
APPS = (
    "accounts",
    "municipality",
    "partners",
    "invoices",
    "peppol",
    "procurement",
    "api",
)


def _service_modules() -> list[str]:
    names = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "services" not in parts and parts[-1] != "services":
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            names.append(".".join(parts))
    return sorted(set(names))


def _functions():
    for name in _service_modules():
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if (
                inspect.isfunction(value)
                and value.__module__ == name
                and not attr.startswith("_")
            ):
                yield f"{name}.{attr}", value


FUNCTIONS = sorted(_functions())


def test_services_are_found():
    assert len(FUNCTIONS) > 50


@pytest.mark.parametrize(("name", "function"), FUNCTIONS, ids=[n for n, _ in FUNCTIONS])
def test_a_service_takes_keyword_only_arguments(name, function):
    parameters = inspect.signature(function).parameters
    positional = [
        p.name
        for p in parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if len(parameters) == 1 and "actor" not in parameters:
        return
    if positional == ["sender"]:
        return  # a signal receiver: Django passes the sender positionally
    assert not positional, f"{name}: make {positional} keyword-only (add *,)"


@pytest.mark.parametrize(("name", "function"), FUNCTIONS, ids=[n for n, _ in FUNCTIONS])
def test_the_actor_is_a_user(name, function):
    parameter = inspect.signature(function).parameters.get("actor")
    if parameter is None:
        return
    annotation = inspect.get_annotations(function, eval_str=True).get("actor")
    assert annotation in (User, User | None), f"{name}: annotate actor: User"
