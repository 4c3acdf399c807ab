"""Photos residents attach, checked by what they are and re-encoded so nothing else rides along.

A phone photo carries where it was taken (GPS in its EXIF), when, the phone's make and serial,
sometimes a thumbnail of the uncropped original and XMP edit history. None of it is kept: each
file is decoded with Pillow (JPEG, PNG or WebP only, recognised by its first bytes and by the
decoder, never by its name), turned upright as its EXIF orientation says, converted to sRGB
through its ICC profile so colours survive without the profile, shrunk to at most
``PHOTO_MAX_SIDE_PX`` and written out as a new JPEG from the pixels alone. Transparent parts
are laid on white.

Files too large to decode safely are refused before a pixel is read: a small PNG can claim
400 million pixels and take gigabytes to open (a decompression bomb). Pillow refuses such
images itself above twice its ``MAX_IMAGE_PIXELS`` (``DecompressionBombError``); we refuse
everything above ``PHOTO_MAX_PIXELS``, far below that, as a full-resolution 48 MP phone photo
is the largest a resident should need to send.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageOps

from transitreq.errors import ValidationFailed
from transitreq.i18n import _

MAX_REQUEST_PHOTOS = 3
REQUEST_PHOTO_MAX_BYTES = 5 * 1024 * 1024
# 8160 × 6120, a 48 MP phone camera at full resolution, fits; decoding one takes ~150 MB.
PHOTO_MAX_PIXELS = 50_000_000
# Enough to read a kerb or a sign on a planner's screen; a 2048 px JPEG is a few hundred KB.
PHOTO_MAX_SIDE_PX = 2048
JPEG_QUALITY = 85
STORED_CONTENT_TYPE = "image/jpeg"
FIELD = "photos"

# The first bytes of each format we take; Pillow is then allowed only these decoders.
_SIGNATURES = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"RIFF", "WEBP"),
)
# JPEG files with several pictures (MPO, from many phones) open through the JPEG decoder.
_DECODED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP"}
_SRGB = ImageCms.createProfile("sRGB")
_DISPLAY_NAME_CHARS = 60


@dataclass(frozen=True)
class PhotoFile:
    """A file as the resident's browser sent it: its name (only to name it in messages)."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class CleanPhoto:
    """What is kept of a photo: new image bytes and their size, nothing of the original file."""

    data: bytes
    content_type: str
    width: int
    height: int


def clean_photos(files: Sequence[PhotoFile], errors: dict[str, str]) -> list[CleanPhoto]:
    """Every file re-encoded, or ``[]`` with what is wrong in ``errors["photos"]``.

    Problems go into ``errors`` beside the other fields' so the resident reads them all at once;
    the first bad file is named, and no photo of a refused form is kept.
    """
    if len(files) > MAX_REQUEST_PHOTOS:
        errors[FIELD] = _(
            "Attach at most %(max)d photos; %(chosen)d were chosen.",
            max=MAX_REQUEST_PHOTOS,
            chosen=len(files),
        )
        return []
    cleaned = []
    for position, file in enumerate(files, start=1):
        try:
            cleaned.append(clean_photo(file))
        except ValidationFailed as failure:
            name = _display_name(file.filename, position)
            errors[FIELD] = _("%(photo)s %(problem)s", photo=name, problem=failure.fields[FIELD])
            return []
    return cleaned


def clean_photo(file: PhotoFile) -> CleanPhoto:
    """One photo re-encoded, or ValidationFailed saying (after its name) what is wrong."""
    if len(file.data) > REQUEST_PHOTO_MAX_BYTES:
        megabytes = REQUEST_PHOTO_MAX_BYTES // (1024 * 1024)
        raise _refused(_("is over %(mb)d MB; send a photo of up to %(mb)d MB.", mb=megabytes))
    image_format = _format_by_content(file.data)
    if image_format is None:
        raise _refused(_("is not a JPEG, PNG or WebP photo."))
    image = _open(file.data, image_format)
    return _reencode(image)


def _refused(problem: str) -> ValidationFailed:
    return ValidationFailed({FIELD: problem})


def _display_name(filename: str, position: int) -> str:
    """“kerb.jpg”, shortened and without characters that do not print; else “Photo 2”."""
    printable = "".join(character for character in filename or "" if character.isprintable())
    printable = printable.strip()
    if not printable:
        return _("Photo %(position)d", position=position)
    if len(printable) > _DISPLAY_NAME_CHARS:
        printable = printable[: _DISPLAY_NAME_CHARS - 1] + "…"
    return f"“{printable}”"


def _format_by_content(data: bytes) -> str | None:
    for signature, image_format in _SIGNATURES:
        if data.startswith(signature) and (image_format != "WEBP" or data[8:12] == b"WEBP"):
            return image_format
    return None


def _open(data: bytes, image_format: str) -> Image.Image:
    """The image decoded at no more than the size we keep; refused when it cannot be."""
    try:
        image = Image.open(io.BytesIO(data), formats=[image_format])
    except Image.DecompressionBombError:
        raise _bomb() from None
    except Exception:
        # Pillow's decoders raise many kinds of error on hostile bytes; each means "unreadable".
        raise _refused(_("could not be read as a photo; it may be damaged.")) from None
    if image.format not in _DECODED_FORMATS:
        raise _refused(_("is not a JPEG, PNG or WebP photo."))
    width, height = image.size
    if width * height > PHOTO_MAX_PIXELS:
        raise _bomb(width, height)
    try:
        if image.format in ("JPEG", "MPO"):
            # libjpeg decodes straight to a half, quarter or eighth: less memory, same result.
            image.draft("RGB", (PHOTO_MAX_SIDE_PX, PHOTO_MAX_SIDE_PX))
        image.load()
        return ImageOps.exif_transpose(image)
    except Image.DecompressionBombError:
        raise _bomb() from None
    except Exception:
        # Truncated data, a broken chunk, EXIF that cannot be parsed: all unreadable.
        raise _refused(_("could not be read as a photo; it may be damaged.")) from None


def _bomb(width: int | None = None, height: int | None = None) -> ValidationFailed:
    megapixels = PHOTO_MAX_PIXELS // 1_000_000
    if width and height:
        return _refused(
            _(
                "has too many pixels (%(width)d × %(height)d pixels) to open safely; send a "
                "photo of up to %(megapixels)d megapixels.",
                width=width,
                height=height,
                megapixels=megapixels,
            )
        )
    return _refused(
        _(
            "has too many pixels to open safely; send a photo of up to %(megapixels)d megapixels.",
            megapixels=megapixels,
        )
    )


def _in_srgb(image: Image.Image) -> Image.Image:
    """RGB or RGBA pixels in sRGB, so the photo looks the same with no profile attached."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    target_mode = "RGBA" if has_alpha else "RGB"
    profile = image.info.get("icc_profile")
    if profile and image.mode in ("RGB", "RGBA", "CMYK", "L"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
            converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode=output_mode)
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # a broken or mismatched profile: read the pixels as sRGB, as browsers do
    return image.convert(target_mode)


def _reencode(image: Image.Image) -> CleanPhoto:
    image = _in_srgb(image)
    image.thumbnail((PHOTO_MAX_SIDE_PX, PHOTO_MAX_SIDE_PX), Image.Resampling.LANCZOS)
    if image.mode == "RGBA":
        background = Image.new("RGB", image.size, "white")
        background.paste(image, mask=image.getchannel("A"))
        image = background
    # A new image of the same pixels: no EXIF, XMP, ICC profile, comment or thumbnail of the
    # original can follow it into the file we write.
    clean = Image.frombytes("RGB", image.size, image.tobytes())
    output = io.BytesIO()
    clean.save(output, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return CleanPhoto(output.getvalue(), STORED_CONTENT_TYPE, clean.width, clean.height)
