"""Seal images (印影): PNG, JPEG or GIF, judged by content and never by name."""

import io
import warnings

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext
from PIL import Image, ImageOps

SEAL_MAX_BYTES = 1024 * 1024
SEAL_MAX_SIDE = 2000

# Accepted formats: Pillow plugin name → (content type, file extension).
SEAL_FORMATS = {
    "PNG": ("image/png", "png"),
    "JPEG": ("image/jpeg", "jpg"),
    "GIF": ("image/gif", "gif"),
}
# Modes Pillow writes as PNG as they are; others (CMYK, YCbCr…) become RGBA.
_PNG_MODES = ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16")

# Leading bytes of the accepted formats and of those people rename to .jpg.
_SIGNATURES = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"%PDF", "PDF"),
)


_TRAILERS = {"JPEG": b"\xff\xd9", "GIF": b";", "PNG": b"IEND\xaeB`\x82"}


def image_format_sniff(head: bytes) -> str | None:
    """The format the first bytes of a file announce, or ``None``."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
        return "HEIC"
    return next((kind for magic, kind in _SIGNATURES if head.startswith(magic)), None)


def seal_content_type(data: bytes) -> str | None:
    """The content type to serve a stored seal with, or ``None`` if it is
    not a PNG, JPEG or GIF (e.g. a file put there through the admin)."""
    kind = image_format_sniff(data[:16])
    return SEAL_FORMATS[kind][0] if kind in SEAL_FORMATS else None


def _corrupt(name: str, kind: str) -> ValidationError:
    return ValidationError(
        gettext(
            "「%(name)s」は %(kind)s 画像として壊れているか、読み取れません。"
            "画像を保存し直してからアップロードしてください。"
        ),
        code="corrupt",
        params={"name": name, "kind": kind},
    )


def _too_large(size: tuple[int, int] | None) -> ValidationError:
    message = gettext(
        "印影の画像は縦・横それぞれ%(max)sピクセル以内にしてください。"
    ) % {"max": SEAL_MAX_SIDE}
    if size:
        message += gettext("この画像は %(width)s×%(height)s ピクセルです。") % {
            "width": size[0],
            "height": size[1],
        }
    return ValidationError(message, code="dimensions")


def seal_image_clean(upload) -> ContentFile:
    """Check an uploaded seal image and return it re-encoded.

    The file must be at most ``SEAL_MAX_BYTES``, start with the signature of
    PNG, JPEG or GIF, and be opened, verified and fully decoded by Pillow as
    that format. Re-encoding drops EXIF, comments and PNG text chunks (a
    photographed seal may carry the place it was taken) and anything appended
    after the image data; transparency (alpha channel or tRNS) is kept.
    Raises ``ValidationError`` with a message that says what is wrong.
    """
    name = upload.name
    if upload.size > SEAL_MAX_BYTES:
        raise ValidationError(
            gettext(
                "印影の画像は%(max)sKB以下にしてください（「%(name)s」は%(size)sKBです）。"
            ),
            code="file_size",
            params={
                "max": f"{SEAL_MAX_BYTES // 1024:,}",
                "name": name,
                "size": f"{-(-upload.size // 1024):,}",
            },
        )
    upload.seek(0)
    data = upload.read()
    kind = image_format_sniff(data[:16])
    if kind is not None and kind not in SEAL_FORMATS:
        raise ValidationError(
            gettext(
                "「%(name)s」の中身は %(kind)s 形式の画像です。印影は PNG、JPEG または "
                "GIF 形式で保存し直してからアップロードしてください"
                "（拡張子を変えるだけでは形式は変わりません）。"
            ),
            code="wrong_format",
            params={"name": name, "kind": kind},
        )
    if kind is None:
        raise ValidationError(
            gettext(
                "「%(name)s」は画像ファイルとして読み取れません。"
                "PNG（.png）、JPEG（.jpg）または GIF（.gif）の画像を選んでください。"
            ),
            code="not_image",
            params={"name": name},
        )
    # A cut-off file must be refused whatever Pillow's process-wide
    # LOAD_TRUNCATED_IMAGES says (WeasyPrint turns it on when imported):
    # JPEG data ends with the EOI marker, GIF data with its trailer, PNG
    # data with the IEND chunk.
    if not data.rstrip(b"\x00").endswith(_TRAILERS[kind]):
        raise _corrupt(name, kind)
    try:
        # Pillow only warns below twice its pixel limit; the size check
        # below refuses such images before they are decoded.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[kind]) as image:
                image.verify()
            with Image.open(io.BytesIO(data), formats=[kind]) as image:
                if max(image.size) > SEAL_MAX_SIDE:
                    raise _too_large(image.size)
                image.load()
                clean = ImageOps.exif_transpose(image)
    except Image.DecompressionBombError as error:
        raise _too_large(None) from error
    except (OSError, SyntaxError, ValueError) as error:
        raise _corrupt(name, kind) from error
    clean.info = {k: v for k, v in clean.info.items() if k == "transparency"}
    if kind == "JPEG" and clean.mode not in ("L", "RGB", "CMYK"):
        clean = clean.convert("RGB")
    if kind == "PNG" and clean.mode not in _PNG_MODES:
        clean = clean.convert("RGBA")
    out = io.BytesIO()
    clean.save(out, format=kind, **({"quality": 90} if kind == "JPEG" else {}))
    return ContentFile(out.getvalue(), name=f"seal.{SEAL_FORMATS[kind][1]}")
