"""Images and masks uploaded to the demo page: bounded bytes in, checked uint8 tensors out.

The page sends each file as a ``data:`` URL inside its JSON request. An upload is refused with a
one-line message (shown in the page, never a stack trace) when it is not a data URL, when it holds
more than ``MAX_UPLOAD_BYTES``, when its header claims more than ``MAX_PIXELS`` pixels, or when it
is not an image Pillow may read. The pixels are decoded by the same bounded, header-first decoder
as data sets and ``ganforge translate``/``inpaint`` (``data/files/decode.py``): the bytes go to a
private temporary file that the decoder opens like any other, so an upload gets exactly the
checks a file on disk gets (format allow-list, decompression bombs, EXIF orientation, 16-bit,
transparency composited on the run's background). A mask must have its image's size
(``masks/files.py``: white = missing).
"""

from __future__ import annotations

import base64
import binascii
import re
import tempfile
from pathlib import Path

import torch
from torch import Tensor

from ganforge.data.sources.folder import load_image, parse_background
from ganforge.errors import GanforgeError
from ganforge.inference.translator import read_image
from ganforge.masks.files import read_mask

MAX_UPLOAD_BYTES = 16 * 1024 * 1024
"""Largest uploaded file, in bytes (16 MiB)."""
MAX_PIXELS = 4_000_000
"""Largest uploaded image, in pixels from its header (4 MP, e.g. 2000 x 2000): a translator runs
an image whole, and at 64 channels a layer of a 4 MP image holds 1 GB; the page is for trying a
model, the commands for large images (``ganforge translate``, ``upscale`` and ``inpaint`` tile)."""

_DATA_URL = re.compile(r"data:([\w/+.-]*)(;[\w=.-]+)*;base64,", re.ASCII)


def upload_bytes(value: object, what: str) -> bytes:
    """A ``data:...;base64,...`` URL -> its bytes; one line naming ``what`` when it is not one, is
    empty or is over ``MAX_UPLOAD_BYTES``."""
    if not isinstance(value, str) or not value:
        raise GanforgeError(f"no {what} was uploaded: choose a file")
    head = _DATA_URL.match(value)
    if head is None:
        raise GanforgeError(
            f"the {what} upload is not a base64 data URL (data:image/png;base64,...)"
        )
    body = value[head.end() :]
    if len(body) > (MAX_UPLOAD_BYTES * 4) // 3 + 4:  # base64: 4 characters per 3 bytes
        raise GanforgeError(
            f"the {what} file is over the {MAX_UPLOAD_BYTES // 2**20} MB upload limit: "
            "shrink it, or use the command line"
        )
    try:
        data = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise GanforgeError(f"the {what} upload is not valid base64") from None
    if not data:
        raise GanforgeError(f"the {what} file is empty")
    return data


def _decoded(data: bytes, what: str, read) -> Tensor:
    """Write ``data`` to a private temporary file and decode it with ``read(path)``; the decoder's
    reasons name ``what`` instead of the temporary path."""
    with tempfile.TemporaryDirectory(prefix="ganforge-demo-") as tmp:
        path = Path(tmp) / "upload"
        path.write_bytes(data)
        try:
            return read(path)
        except GanforgeError as e:
            raise GanforgeError(str(e).replace(str(path), what)) from None


def read_upload_image(
    value: object,
    channels: int,
    size: tuple[int, int] | None = None,
    background: str = "white",
    max_pixels: int = MAX_PIXELS,
    what: str = "image",
) -> Tensor:
    """An uploaded image -> uint8 (channels, H, W): at its own size, or resized and centre-cropped
    to ``size`` (H, W) as the data sets are when the model takes one size only."""
    data = upload_bytes(value, what)

    def read(path: Path) -> Tensor:
        if size is None:
            return torch.from_numpy(read_image(path, channels, background, max_pixels))
        bg = parse_background(background)
        result = load_image(path, size, channels, bg, max_pixels=max_pixels)
        if isinstance(result, str):
            raise GanforgeError(f"cannot read {path}: {result}")
        return torch.tensor(result)  # a copy: the decoded array may be read-only

    return _decoded(data, f"the {what} upload", read)


def read_upload_mask(
    value: object, image_size: tuple[int, int], max_pixels: int = MAX_PIXELS, what: str = "mask"
) -> Tensor:
    """An uploaded or drawn mask -> float32 (1, H, W), 1 = missing, of its image's ``image_size``
    (H, W), with something missing and something known."""
    data = upload_bytes(value, what)
    # Named "upload" in read_mask's lines: "mask upload is 8x8 pixels but its image is ...".
    return _decoded(data, "upload", lambda p: read_mask(p, image_size, max_pixels))
