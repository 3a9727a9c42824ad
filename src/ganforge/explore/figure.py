"""Labelled figures: rows of generated images with row labels and per-image captions (Pillow).

Sheets number their samples (and name their classes), arithmetic names its rows "a", "- b", "+ c",
"= a - b + c", ablation shows "before" / "after" with the chosen region outlined. Images are
enlarged by whole-pixel repetition (no smoothing, so what you see is what the generator drew)
until captions are readable next to them.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

BACKGROUND = 255  # white paper, black text: readable whatever the images look like
OUTLINE = (230, 30, 30)  # red: stands out on grey images, which is what most runs draw


def auto_scale(size: int, target: int = 64) -> int:
    """Whole-number enlargement bringing ``size``-pixel images to about ``target`` pixels."""
    return max(1, round(target / size))


def upscale(images: torch.Tensor, scale: int) -> torch.Tensor:
    """(N, C, H, W) -> (N, C, H*scale, W*scale) by pixel repetition."""
    if scale == 1:
        return images
    return images.repeat_interleave(scale, dim=2).repeat_interleave(scale, dim=3)


def _font() -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    return ImageFont.load_default()


def _text_size(draw: ImageDraw.ImageDraw, text: str, font) -> tuple[int, int]:
    if not text:
        return 0, 0
    x0, y0, x1, y1 = draw.textbbox((0, 0), text, font=font)
    return x1 - x0, y1 - y0


def _line_height(draw: ImageDraw.ImageDraw, font) -> int:
    """Height of one caption line, descenders included (so two lines never touch)."""
    if hasattr(font, "getmetrics"):
        ascent, descent = font.getmetrics()
        return ascent + descent
    return _text_size(draw, "Ag/", font)[1] + 2


def _fit(draw: ImageDraw.ImageDraw, text: str, width: int, font) -> str:
    """``text`` shortened (ending in ".") until it is at most ``width`` pixels wide."""
    if _text_size(draw, text, font)[0] <= width:
        return text
    while len(text) > 1 and _text_size(draw, text + ".", font)[0] > width:
        text = text[:-1]
    return text + "."


def compose(
    rows: list[list[torch.Tensor | None]],
    row_labels: list[str] | None = None,
    captions: list[list[str]] | None = None,
    scale: int = 1,
    pad: int = 4,
    outline: tuple[int, int, int, int] | None = None,
) -> np.ndarray:
    """Rows of (C, H, W) uint8 images -> one (H', W', C) uint8 figure on a white background.

    ``None`` in a row leaves an empty slot (a visual gap, e.g. between exemplars and their mean).
    ``captions[r][k]`` is written under image k of row r (lines split at "\\n", each shortened to
    the tile's width); ``row_labels[r]`` left of row r. ``outline`` (x0, y0, x1, y1 in image
    pixels, x1 and y1 exclusive) draws that box on every image in red, so the figure is RGB.
    """
    tiles = [t for row in rows for t in row if t is not None]
    c, h, w = tiles[0].shape
    h, w = h * scale, w * scale
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    font = _font()
    label_w = max((_text_size(probe, s, font)[0] for s in row_labels or []), default=0)
    label_w = label_w + pad if label_w else 0
    line_h = _line_height(probe, font)
    lines = max((len(t.split("\n")) for row in captions or [] for t in row if t), default=0)
    cap_h = lines * line_h + pad // 2 if lines else 0
    cols = max(len(r) for r in rows)
    width = pad + label_w + cols * (w + pad)
    height = pad + len(rows) * (h + cap_h + pad)
    mode = "L" if c == 1 and outline is None else "RGB"
    canvas = Image.new(mode, (width, height), BACKGROUND if mode == "L" else (BACKGROUND,) * 3)
    draw = ImageDraw.Draw(canvas)
    ink = 0 if mode == "L" else (0, 0, 0)
    for r, row in enumerate(rows):
        top = pad + r * (h + cap_h + pad)
        if row_labels and row_labels[r]:
            tw, th = _text_size(draw, row_labels[r], font)
            draw.text((pad, top + (h - th) // 2), row_labels[r], fill=ink, font=font)
        for k, tile in enumerate(row):
            left = pad + label_w + k * (w + pad)
            if tile is not None:
                arr = upscale(tile[None], scale)[0].permute(1, 2, 0).numpy()  # (H, W, C)
                img = Image.fromarray(arr[..., 0] if c == 1 else arr, "L" if c == 1 else "RGB")
                canvas.paste(img.convert(mode), (left, top))
                if outline is not None:
                    x0, y0, x1, y1 = outline  # just outside the box, so its pixels stay visible
                    box = (left + x0 * scale - 1, top + y0 * scale - 1)
                    draw.rectangle((*box, left + x1 * scale, top + y1 * scale), outline=OUTLINE)
            text = captions[r][k] if captions and k < len(captions[r]) else ""
            for i, line in enumerate(text.split("\n") if text else []):
                line = _fit(draw, line, w + pad - 1, font)
                tw, _ = _text_size(draw, line, font)
                y = top + h + 1 + i * line_h
                draw.text((left + (w - tw) // 2, y), line, fill=ink, font=font)
    out = np.asarray(canvas, dtype=np.uint8)
    return out[..., None] if out.ndim == 2 else out
