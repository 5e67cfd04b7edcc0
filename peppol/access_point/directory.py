"""The directory adapter: the file exchange most access-point providers
offer (SFTP or a shared folder). Layout under the configured folder::

    outbox/      documents the portal sends, SBDH-wrapped, one per file,
                 written as ``.tmp`` and renamed when complete
    sent/        the provider moves a document here once delivered
    errors/      ... or here when it could not deliver it
    inbox/       the provider drops received documents here
    processed/   the portal moves each inbound file here once imported
    failed/      ... or here, with ``<name>.reason.txt`` saying why

Nothing is ever deleted. A file still being written (a name starting with
``.`` or ending in ``.tmp``/``.part``, or modified less than
``settle_seconds`` ago) is left for the next poll. ``OSError`` is left to
the caller: the Celery task retries it."""

import os
import time
from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peppol.access_point.base import DeliveryStatus, IncomingDocument, OutgoingDocument
from peppol.access_point.sbdh import sbdh_wrap

FOLDERS = ("outbox", "sent", "errors", "inbox", "processed", "failed")
IN_PROGRESS_SUFFIXES = (".tmp", ".part", ".partial", ".filepart")
MAX_INBOUND_BYTES = 10 * 1024 * 1024
TOO_LARGE = _(
    "ファイルが大きすぎます（上限 10 MB）。"
    "送信者に分割または内容の確認を依頼してください。"
)


class DirectoryAccessPoint:
    settle_seconds = 10

    def __init__(self, root: str | Path, *, settle_seconds: int | None = None):
        self.root = Path(root)
        if settle_seconds is not None:
            self.settle_seconds = settle_seconds

    def _folder(self, name: str) -> Path:
        folder = self.root / name
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def send(self, document: OutgoingDocument) -> str:
        name = f"{document.instance_id}.xml"
        outbox = self._folder("outbox")
        if any((self.root / f / name).exists() for f in ("outbox", "sent", "errors")):
            return name  # a retried send: already handed over
        partial = outbox / f".{name}.tmp"
        partial.write_bytes(sbdh_wrap(document))
        os.replace(partial, outbox / name)
        return name

    def _settled(self, path: Path, now: float) -> bool:
        return (
            not path.name.startswith(".")
            and not path.name.endswith(IN_PROGRESS_SUFFIXES)
            and not path.name.endswith(".reason.txt")
            and path.is_file()
            and not path.is_symlink()
            and now - path.stat().st_mtime >= self.settle_seconds
        )

    def receive(self) -> list[IncomingDocument]:
        now = time.time()
        documents = []
        for path in sorted(self._folder("inbox").iterdir()):
            if not self._settled(path, now):
                continue
            document = IncomingDocument(
                xml=b"", filename=path.name, reference=path.name
            )
            if path.stat().st_size > MAX_INBOUND_BYTES:
                self.done(document, error=str(TOO_LARGE))
                continue
            document.xml = path.read_bytes()
            documents.append(document)
        return documents

    def _free_name(self, folder: Path, name: str) -> Path:
        target = folder / name
        if not target.exists():
            return target
        stamp = timezone.now().strftime("%Y%m%dT%H%M%S%f")
        return folder / f"{stamp}-{name}"

    def done(self, document: IncomingDocument, *, error: str = "") -> None:
        source = self._folder("inbox") / document.reference
        target = self._free_name(
            self._folder("failed" if error else "processed"), source.name
        )
        if error:
            reason = target.with_name(target.name + ".reason.txt")
            reason.write_text(error.rstrip() + "\n", encoding="utf-8")
        os.replace(source, target)

    def status(self, message_id: str) -> DeliveryStatus:
        for folder, status in (
            ("sent", DeliveryStatus.DELIVERED),
            ("errors", DeliveryStatus.FAILED),
            ("outbox", DeliveryStatus.PENDING),
        ):
            if (self.root / folder / message_id).exists():
                return status
        return DeliveryStatus.UNKNOWN
