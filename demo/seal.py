"""A seal image (印影) drawn at seed time: a red ring with the name inside,
on a transparent background, as a PNG.

Drawn with the IPAex Gothic font the PDFs use (``static/fonts``, or
Debian's fonts-ipaexfont) when it is there; without it, the ring holds a
smaller ring instead of text.
"""

import io
from pathlib import Path

from django.conf import settings
from PIL import Image, ImageDraw, ImageFont

SEAL_SIZE = 240
SEAL_RED = (200, 30, 30, 255)
_RING = 10


def _font_path() -> Path | None:
    candidates = (
        Path(settings.BASE_DIR) / "static" / "fonts" / "ipaexg.ttf",
        # Debian's fonts-ipaexfont, which ``make install`` installs.
        Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf"),
    )
    return next((path for path in candidates if path.is_file()), None)


def seal_png(*, text: str) -> bytes:
    """A round seal reading ``text`` top to bottom (one or two characters
    look best), red on transparent, PNG-encoded."""
    image = Image.new("RGBA", (SEAL_SIZE, SEAL_SIZE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    margin = _RING // 2 + 4
    box = (margin, margin, SEAL_SIZE - margin, SEAL_SIZE - margin)
    draw.ellipse(box, outline=SEAL_RED, width=_RING)
    font_path = _font_path()
    if font_path is None or not text:
        inner = SEAL_SIZE // 4
        draw.ellipse(
            (inner, inner, SEAL_SIZE - inner, SEAL_SIZE - inner),
            outline=SEAL_RED,
            width=_RING // 2,
        )
    else:
        # One character per row, the column centred in the ring.
        size = int((SEAL_SIZE - 2 * margin - 2 * _RING) * 0.9 / max(len(text), 1.6))
        font = ImageFont.truetype(str(font_path), size)
        top = (SEAL_SIZE - size * len(text)) // 2
        for row, character in enumerate(text):
            draw.text(
                (SEAL_SIZE // 2, top + row * size + size // 2),
                character,
                font=font,
                fill=SEAL_RED,
                anchor="mm",
                stroke_width=2,
                stroke_fill=SEAL_RED,
            )
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
