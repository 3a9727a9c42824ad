"""Free-form holes drawn as random brush strokes: the irregular-mask generator of Yu, Lin, Yang,
Shen, Lu & Huang 2019, "Free-Form Image Inpainting with Gated Convolution" (ICCV; its free-form
mask algorithm), reference ``brush_stroke_mask`` in https://github.com/JiahuiYu/generative_inpainting
(inpaint_ops.py).

A stroke starts at a uniform random point and walks through 4 to 11 vertices; the steps alternate
between angles near +-2 pi / 5 (each stroke drawing its own angle range within 2 pi / 15 of that),
their lengths r ~ N(R, R / 2) clipped to [0, 2R] with R = sqrt(H^2 + W^2) / 8, each vertex clipped
to the image; the brush, of a width drawn per stroke (12 to 40 px at 256 px, scaled here by
min(H, W) / 256), is a line with round ends, i.e. the union of capsules around the segments.

Two departures from the reference, both for the training path:

- The share of missing pixels is steered into a band instead of drawing 1 to 3 strokes: per sample
  a target t ~ U(min_share, max_share), and segments are added one at a time, in stroke order,
  until the share reaches t. A segment that would push it above ``max_share`` is not drawn and
  ends its stroke (strokes stay connected), and the mask once its share is at least
  ``min_share``. The share therefore never exceeds ``max_share``; it reaches ``min_share``
  unless ``max_strokes`` strokes were not enough, which we have not seen: 256 masks per band at
  16 x 16, 32 x 32 and 24 x 40, bands 10-12 %, 40-60 % and 55-60 %, all took 6 to 20 strokes
  (``tests/masks/test_strokes.py`` checks the evaluation bands).
- The random flips the reference intends (``mask.transpose(...)`` with the result discarded, so
  they never happen there) are applied, to each stroke: without them every stroke drifts to the
  right, since both step angles have a positive cosine.

Rasterised on the generator's device, vectorised over the batch: each segment is one pass of
distance-to-segment arithmetic over (B, H, W). The loops run over strokes and vertices (at most
``max_strokes`` x 11 passes, ending once every sample has reached its target), never over
samples; each stroke is drawn only for the samples still short of their target, so a batch costs
the sum of its samples' strokes rather than the batch size times the slowest sample's. Random
numbers are drawn per stroke for the whole batch whatever was accepted, so a seed gives the same
masks on every run; finding the samples still short costs one host sync per stroke on a GPU.

Cost: each segment is ~10 passes over (b, H, W). A batch of 64 took 30-80 ms of one CPU core at
32 px and 125-460 ms at 64 px (bands 10-20 % to 40-60 %; measured on a shared, busy 2-core
machine, so roughly), a tenth to a fifth of a training step of the small CPU models:
``masks/pool.py`` draws a pool once per run instead and serves batches from it in a few ms. On a
GPU the passes are small kernels and drawing per batch should be cheap (not measured here).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ganforge.errors import GanforgeError
from ganforge.masks.stats import bounding_boxes

MIN_VERTICES, MAX_VERTICES = 4, 12  # randint(4, 12): 4 to 11 vertices after the start
MEAN_ANGLE, ANGLE_RANGE = 2 * math.pi / 5, 2 * math.pi / 15
WIDTHS_AT_256 = (12.0, 40.0)
"""The reference's brush widths in pixels for 256 x 256 images."""


def _stroke_params(
    batch: int, size: tuple[int, int], gen: torch.Generator
) -> tuple[Tensor, Tensor, Tensor]:
    """One stroke per sample: vertices (B, V+1, 2) as (x, y), a segment-is-drawn flag (B, V) and
    the brush radius (B,); V = MAX_VERTICES - 1, strokes with fewer vertices mark the rest off."""
    H, W = size
    V = MAX_VERTICES - 1
    dev = gen.device
    R = math.sqrt(H * H + W * W) / 8  # the reference's average_radius

    def rand(*shape: int) -> Tensor:
        return torch.rand(*shape, generator=gen, device=dev)

    n = MIN_VERTICES + (rand(batch) * (MAX_VERTICES - MIN_VERTICES)).long()  # (B,) in [4, 11]
    n = n.clamp(max=V)
    angle_min = MEAN_ANGLE - rand(batch, 1) * ANGLE_RANGE  # (B, 1)
    angle_max = MEAN_ANGLE + rand(batch, 1) * ANGLE_RANGE
    a = angle_min + (angle_max - angle_min) * rand(batch, V)  # (B, V)
    even = torch.arange(V, device=dev) % 2 == 0
    a = torch.where(even, 2 * math.pi - a, a)  # the zig-zag: up and down in turn
    r = (R + (R // 2) * torch.randn(batch, V, generator=gen, device=dev)).clamp(0, 2 * R)
    w_lo, w_hi = (x * min(H, W) / 256 for x in WIDTHS_AT_256)
    radius = (w_lo + (w_hi - w_lo) * rand(batch)) / 2  # (B,)
    span = torch.tensor([W, H], device=dev, dtype=torch.float32)
    start = rand(batch, 2) * span
    # Each vertex is clipped to the image before the next step, as in the reference: sequential
    # over the at most 11 vertices, vectorised over the batch.
    verts = [start]
    for j in range(V):
        step = torch.stack([r[:, j] * torch.cos(a[:, j]), r[:, j] * torch.sin(a[:, j])], dim=1)
        nxt = verts[-1] + step
        verts.append(torch.stack([nxt[:, 0].clamp(0, W), nxt[:, 1].clamp(0, H)], dim=1))
    drawn = torch.arange(V, device=dev).view(1, V) < n.view(-1, 1)  # (B, V)
    verts = torch.stack(verts, dim=1)  # (B, V + 1, 2)
    # The reference's intended random flips (left-right, top-bottom), per stroke: x -> W - x.
    flip = rand(batch, 1, 2) < 0.5
    return torch.where(flip, span - verts, verts), drawn, radius


def _capsule(p0: Tensor, p1: Tensor, radius: Tensor, xs: Tensor, ys: Tensor) -> Tensor:
    """(B, H, W): pixel centres within ``radius`` of the segment p0-p1 (p0, p1 (B, 2) as x, y)."""
    x0, y0 = p0[:, 0].view(-1, 1, 1), p0[:, 1].view(-1, 1, 1)
    dx, dy = (p1[:, 0] - p0[:, 0]).view(-1, 1, 1), (p1[:, 1] - p0[:, 1]).view(-1, 1, 1)
    px, py = xs - x0, ys - y0  # (B, 1, W), (B, H, 1): the per-row and per-column parts are cheap
    d2 = (dx * dx + dy * dy).clamp(min=1e-12)
    # The closest point of the segment is p0 + t d, t = clamp(<p - p0, d> / |d|^2, 0, 1), and
    # |p - p0 - t d|^2 = |p - p0|^2 - t (2 <p - p0, d> - t |d|^2): five full-size passes.
    dot = px * dx + py * dy  # (B, H, W)
    t = (dot / d2).clamp_(0, 1)
    return (px * px + py * py) - t * (2 * dot - t * d2) <= radius.view(-1, 1, 1) ** 2


def random_strokes(
    batch: int,
    size: tuple[int, int],
    min_share: float,
    max_share: float,
    generator: torch.Generator,
    max_strokes: int = 32,
) -> tuple[Tensor, Tensor]:
    """Free-form brush-stroke holes whose missing share lies in [min_share, max_share].

    Returns ``(mask, boxes)``: mask (batch, 1, H, W) float32, 1 = missing; boxes (batch, 4) int64
    (y0, x0, y1, x1), the half-open bounding boxes of the holes; both on ``generator.device``.
    """
    if not 0.0 < min_share <= max_share < 1.0:
        raise GanforgeError(
            f"mask shares must satisfy 0 < min_share <= max_share < 1, got {min_share}, {max_share}"
        )
    H, W = size
    dev = generator.device
    target = min_share + (max_share - min_share) * torch.rand(
        batch, generator=generator, device=dev
    )
    xs = torch.arange(W, device=dev, dtype=torch.float32).view(1, 1, W) + 0.5  # pixel centres
    ys = torch.arange(H, device=dev, dtype=torch.float32).view(1, H, 1) + 0.5
    hole = torch.zeros(batch, H, W, dtype=torch.bool, device=dev)  # (B, H, W)
    count = torch.zeros(batch, device=dev)  # missing pixels per sample
    done = torch.zeros(batch, dtype=torch.bool, device=dev)
    limit, need = max_share * H * W, min_share * H * W
    for _ in range(max_strokes):
        # Parameters for the whole batch every stroke, so the stream does not depend on which
        # samples are done; the drawing only for the samples still short of their target.
        verts, drawn, radius = _stroke_params(batch, size, generator)
        todo = (~done).nonzero().squeeze(1)  # the one host sync per stroke
        if todo.numel() == 0:
            break
        verts, drawn, radius = verts[todo], drawn[todo], radius[todo]
        h, n_h, t_h = hole[todo], count[todo], target[todo] * (H * W)  # (b, H, W), (b,), (b,)
        open_ = torch.ones(todo.numel(), dtype=torch.bool, device=dev)  # still extending
        fin = torch.zeros_like(open_)
        for j in range(drawn.shape[1]):
            seg = _capsule(verts[:, j], verts[:, j + 1], radius, xs, ys)  # (b, H, W)
            cand = h | seg
            n = cand.flatten(1).sum(dim=1).float()
            live = open_ & drawn[:, j]
            take = live & (n <= limit)
            h = torch.where(take.view(-1, 1, 1), cand, h)
            n_h = torch.where(take, n, n_h)
            # A segment that would overshoot ends its stroke, and the mask too once its share
            # is in the band: the window between the target and max_share may be a pixel wide.
            fin = fin | (n_h >= t_h) | (live & ~take & (n_h >= need))
            open_ = take & ~fin
        hole[todo], count[todo], done[todo] = h, n_h, fin
    mask = hole.unsqueeze(1)
    return mask.float(), bounding_boxes(mask)
