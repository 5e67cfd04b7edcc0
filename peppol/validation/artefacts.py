"""Where the official artefacts live (``PEPPOL_ARTIFACTS_DIR``) and their
compiled form: the UBL 2.1 XSDs (lxml) and the Schematron XSLTs (saxonche),
built once per process."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from lxml import etree

PROFILES = {
    "billing": ("jp-pint/billing/xslt", ("Invoice", "CreditNote")),
    "selfbilling": ("jp-pint/selfbilling/xslt", ("Invoice", "CreditNote")),
    "nontaxinvoice": ("jp-pint/nontaxinvoice/xslt", ("Invoice", "CreditNote")),
    "invoice-response": ("invoice-response/xslt", ("ApplicationResponse",)),
}
XSLT_FILES = {
    "billing": (
        "PINT-UBL-validation-preprocessed.xslt",
        "PINT-jurisdiction-aligned-rules.xslt",
    ),
    "selfbilling": (
        "PINT-UBL-validation-preprocessed.xslt",
        "PINT-jurisdiction-aligned-rules.xslt",
    ),
    "nontaxinvoice": (
        "PINT-UBL-validation-preprocessed.xslt",
        "PINT-jurisdiction-aligned-rules.xslt",
    ),
    "invoice-response": ("PEPPOLBIS-T111.xslt",),
}


class _Artefacts:
    """The compiled schemas and stylesheets of one artefacts folder, built
    once per process. A forked worker (Celery prefork, gunicorn with
    preload) builds its own: the SaxonC native runtime does not survive a
    fork reliably."""

    def __init__(self, root: Path):
        self.root = root
        self.pid = os.getpid()
        self.lock = threading.RLock()
        self._schemas: dict[str, etree.XMLSchema] = {}
        self._executables: dict[str, list] = {}
        self._processor = None
        self._xslt = None

    def schema(self, root_name: str) -> etree.XMLSchema:
        with self.lock:
            if root_name not in self._schemas:
                path = self.root / "ubl-2.1/xsd/maindoc" / f"UBL-{root_name}-2.1.xsd"
                if not path.is_file():
                    raise ImproperlyConfigured(
                        f"PEPPOL_ARTIFACTS_DIR={self.root}: {path} is missing"
                    )
                self._schemas[root_name] = etree.XMLSchema(etree.parse(str(path)))
            return self._schemas[root_name]

    def executables(self, profile: str) -> list:
        with self.lock:
            if profile not in self._executables:
                from saxonche import PySaxonProcessor

                if self._processor is None:
                    # Kept for the process's lifetime: the executables need it.
                    self._processor = PySaxonProcessor(license=False)
                    self._xslt = self._processor.new_xslt30_processor()
                folder = self.root / PROFILES[profile][0]
                compiled = []
                for name in XSLT_FILES[profile]:
                    path = folder / name
                    if not path.is_file():
                        raise ImproperlyConfigured(
                            f"PEPPOL_ARTIFACTS_DIR={self.root}: {path} is missing"
                        )
                    compiled.append(
                        (name, self._xslt.compile_stylesheet(stylesheet_file=str(path)))
                    )
                self._executables[profile] = compiled
            return self._executables[profile]

    def transform(self, profile: str, text: str) -> list[bytes]:
        with self.lock:
            executables = self.executables(profile)
            node = self._processor.parse_xml(xml_text=text)
            return [
                exe.transform_to_string(xdm_node=node).encode("utf-8")
                for _name, exe in executables
            ]


_cache: dict[str, _Artefacts] = {}
_cache_lock = threading.Lock()


def artifacts_dir() -> Path:
    configured = getattr(settings, "PEPPOL_ARTIFACTS_DIR", "")
    if not configured:
        raise ImproperlyConfigured(
            "PEPPOL_ARTIFACTS_DIR is not set: point it at the folder holding the "
            "official ubl-2.1/, jp-pint/ and invoice-response/ artefacts"
        )
    path = Path(configured)
    if not (path / "ubl-2.1").is_dir():
        raise ImproperlyConfigured(
            f"PEPPOL_ARTIFACTS_DIR={path} does not hold the official artefacts "
            "(ubl-2.1/ is missing)"
        )
    return path


def official_configured() -> bool:
    return bool(getattr(settings, "PEPPOL_ARTIFACTS_DIR", ""))


def _artefacts() -> _Artefacts:
    root = artifacts_dir()
    key = str(root.resolve())
    with _cache_lock:
        cached = _cache.get(key)
        if cached is None or cached.pid != os.getpid():
            cached = _cache[key] = _Artefacts(root)
        return cached
