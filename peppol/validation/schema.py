"""The UBL 2.1 XML schema (XSD) check."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from lxml import etree

from .artefacts import _Artefacts
from .parsing import FATAL, Problem

XSD_EXPLANATION = _("UBL 2.1 の構造（XML スキーマ）に合いません。")


def xsd_problems(root: etree._Element, artefacts: _Artefacts) -> list[Problem]:
    problems = []
    schema = artefacts.schema(etree.QName(root).localname)
    with artefacts.lock:
        valid = schema.validate(root)
        errors = list(schema.error_log) if not valid else []
    for error in errors:
        problems.append(
            Problem(
                rule="XSD",
                severity=FATAL,
                message=f"{XSD_EXPLANATION} {error.message}",
                location=f"line {error.line}",
            )
        )
    return problems
