from pathlib import Path

import pytest
from django.conf import settings


@pytest.fixture(scope="session")
def peppol_artifacts() -> Path:
    """The official JP PINT / UBL / T111 artefacts, read where they are
    (``../shared/peppol`` or ``PEPPOL_ARTIFACTS_DIR``), never copied."""
    path = Path(
        settings.PEPPOL_ARTIFACTS_DIR or settings.BASE_DIR.parent / "shared/peppol"
    )
    assert (path / "ubl-2.1").is_dir(), (
        f"JP PINT artefacts not found at {path}: set PEPPOL_ARTIFACTS_DIR"
    )
    return path
