"""Masks of missing pixels for inpainting: random rectangles, free-form brush strokes, and masks
read from users' files (white = missing).

Every mask is a (B, 1, H, W) tensor, 1 where a pixel is missing. The samplers share one call,
``sampler(batch, size, min_share, max_share, generator) -> (mask, boxes)``, boxes (B, 4) int64
(y0, x0, y1, x1) around each hole, and draw only from ``generator``, on its device:

- ``rectangles.random_rectangles``: one box per image (Pathak et al. 2016; Iizuka et al. 2017);
- ``strokes.random_strokes``: free-form brush strokes (Yu et al. 2019);
- ``pool.MaskPool``: a pool drawn once per run, served with random flips (strokes on a CPU);
- ``files.read_mask``: a user's file, checked against its image;
- ``bands.band_masks``: fixed, seeded evaluation masks per band of missing share;
- ``stats``: ``missing_share`` (what the configs steer and the tasks log) and ``bounding_boxes``.
"""

from ganforge.masks.rectangles import random_rectangles
from ganforge.masks.strokes import random_strokes

SAMPLERS = {"rectangles": random_rectangles, "strokes": random_strokes}
"""Mask kinds by config name: an explicit registry."""
