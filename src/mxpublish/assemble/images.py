"""Images for screens: a very large PNG or JPEG is scaled down (Pillow) for the EPUB and HTML
editions, which are read on screens and carried around as files; print keeps the original."""

from __future__ import annotations

import functools
import io

#: The longer side, in pixels, above which a raster image is scaled down: a full-width image
#: on a high-density tablet or laptop screen.
MAX_EDGE = 2000


@functools.lru_cache(maxsize=32)  # serve rebuilds the HTML on every save
def for_screen(data: bytes, media_type: str) -> bytes:
    """``data`` scaled so that its longer side is at most ``MAX_EDGE`` pixels, in the same
    format and aspect ratio (EXIF orientation applied, colour profile kept); smaller images,
    GIFs (which may be animated), SVGs, and anything the result would not shrink are returned
    as they are. Pillow's encoders write no timestamps, so the bytes are reproducible."""
    if media_type not in ("image/png", "image/jpeg"):
        return data
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as original:
        if max(original.size) <= MAX_EDGE:
            return data
        image = ImageOps.exif_transpose(original)
        profile = original.info.get("icc_profile")
    scale = MAX_EDGE / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    resized = image.resize(size, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    extra = {"icc_profile": profile} if profile else {}
    if media_type == "image/jpeg":
        if resized.mode not in ("RGB", "L"):
            resized = resized.convert("RGB")
        resized.save(out, "JPEG", quality=85, optimize=True, **extra)
    else:
        resized.save(out, "PNG", optimize=True, **extra)
    smaller = out.getvalue()
    return smaller if len(smaller) < len(data) else data
