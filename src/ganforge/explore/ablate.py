"""Feature-map surgery: DCGAN (Radford, Metz & Chintala 2016), section 6.3.1, figure 6.

The paper finds the feature maps of the second-highest generator layer that draw windows, drops
them for every spatial position, and the generator "forgets" windows (it draws something else in
their place). Here a layer is the output of the i-th upsampling block (0 = the coarsest), channels
are zeroed through a forward hook (the model itself is never edited, so the hook's removal restores
it exactly), and channels can be chosen by hand or as the top-k most active inside a region of the
image, averaged over the shown latents (a simple stand-in for the paper's logistic regression on
bounding boxes).

Layers per architecture (explicit, so grep finds them):
  dcgan   the batch-norm output of each transposed-conv block. Zeroing it before the ReLU is
          zeroing the activation after it (ReLU(0) = 0), i.e. what the next layer reads.
  resnet  the output of each residual up-block (Miyato et al. 2018, appendix B.4).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from ganforge.errors import GanforgeError
from ganforge.explore.figure import auto_scale, compose
from ganforge.explore.sample import generate
from ganforge.images import to_uint8
from ganforge.models.dcgan import DCGANGenerator
from ganforge.models.resnet import ResNetGenerator


def feature_layers(G: nn.Module) -> list[nn.Module]:
    """The modules whose outputs are the generator's feature maps, coarse to fine."""
    if isinstance(G, DCGANGenerator):
        return list(G.norms)
    if isinstance(G, ResNetGenerator):
        return list(G.blocks)
    raise GanforgeError(
        f"feature-map surgery needs a convolutional generator (model.arch dcgan or resnet), "
        f"not {type(G).__name__}"
    )


def _activation(G: nn.Module, h: Tensor) -> Tensor:
    """What the next layer sees: DCGAN applies ReLU after the hooked norm; ResNet blocks output a
    residual stream, whose magnitude is its activity."""
    return h.relu() if isinstance(G, DCGANGenerator) else h.abs()


@contextlib.contextmanager
def capture(layer: nn.Module) -> Iterator[list[Tensor]]:
    """Record the layer's outputs while the block runs."""
    seen: list[Tensor] = []
    handle = layer.register_forward_hook(lambda m, i, out: seen.append(out.detach()))
    try:
        yield seen
    finally:
        handle.remove()


@contextlib.contextmanager
def zeroed(layer: nn.Module, channels: Sequence[int]) -> Iterator[None]:
    """Run the generator with ``channels`` of ``layer``'s output set to zero everywhere."""
    idx = torch.as_tensor(list(channels), dtype=torch.long)

    def hook(module: nn.Module, inputs: tuple, output: Tensor) -> Tensor:
        return output.index_fill(1, idx.to(output.device), 0.0)  # (B, C, h, w), a new tensor

    handle = layer.register_forward_hook(hook)
    try:
        yield
    finally:
        handle.remove()


@dataclass
class LayerInfo:
    index: int
    channels: int
    size: int
    """Spatial side of the feature map."""


def describe_layers(G: nn.Module, y: Tensor | None = None) -> list[LayerInfo]:
    """Channels and size of every feature layer (one forward pass of a single latent)."""
    layers = feature_layers(G)
    z = torch.zeros(1, int(G.z_dim))
    shapes = []
    with contextlib.ExitStack() as stack:
        seen = [stack.enter_context(capture(m)) for m in layers]
        generate(G, z, None if y is None else y[:1])
    for k, s in enumerate(seen):
        shapes.append(LayerInfo(k, s[0].shape[1], s[0].shape[-1]))
    return shapes


def check_selection(
    infos: list[LayerInfo], layer: int, channels: Sequence[int] | None = None
) -> LayerInfo:
    """A one-line error naming the valid range for a bad layer index or channel."""
    listing = ", ".join(f"{i.index} ({i.channels} ch, {i.size}x{i.size})" for i in infos)
    if not 0 <= layer < len(infos):
        raise GanforgeError(f"--layer {layer} is out of range: this generator has layers {listing}")
    info = infos[layer]
    for c in channels or []:
        if not 0 <= c < info.channels:
            raise GanforgeError(
                f"--channels {c} is out of range: layer {layer} has channels 0-{info.channels - 1}"
            )
    return info


def parse_region(text: str, image_size: int) -> tuple[int, int, int, int]:
    """``"x0,y0,x1,y1"`` in image pixels (x1, y1 exclusive) -> the checked box."""
    try:
        x0, y0, x1, y1 = (int(v) for v in text.split(","))
    except ValueError:
        raise GanforgeError(f"--region {text!r} must be four integers x0,y0,x1,y1") from None
    if not (0 <= x0 < x1 <= image_size and 0 <= y0 < y1 <= image_size):
        raise GanforgeError(
            f"--region {text} does not fit the {image_size}x{image_size} image: "
            f"give 0 <= x0 < x1 <= {image_size} and 0 <= y0 < y1 <= {image_size}"
        )
    return x0, y0, x1, y1


def region_cells(
    region: tuple[int, int, int, int], image_size: int, size: int
) -> tuple[slice, slice]:
    """Image-pixel box -> (rows, cols) of a ``size``-cell feature map covering it (at least one)."""
    x0, y0, x1, y1 = region
    f = size / image_size

    def cells(a: int, b: int) -> slice:
        lo = math.floor(a * f)
        return slice(lo, max(lo + 1, math.ceil(b * f)))

    return cells(y0, y1), cells(x0, x1)


def top_channels(
    G: nn.Module,
    layer: int,
    z: Tensor,
    y: Tensor | None,
    region: tuple[int, int, int, int],
    k: int,
) -> list[int]:
    """The ``k`` channels of ``layer`` with the highest mean activity inside ``region``."""
    module = feature_layers(G)[layer]
    with capture(module) as seen:
        images = generate(G, z, y)
    acts = _activation(G, torch.cat(seen).cpu())  # (B, C, h, w)
    ys, xs = region_cells(region, images.shape[-1], acts.shape[-1])
    score = acts[:, :, ys, xs].mean(dim=(0, 2, 3))  # (C,)
    if not 0 < k <= score.numel():
        raise GanforgeError(
            f"--top {k} must be between 1 and {score.numel()} (the layer's channels)"
        )
    return score.topk(k).indices.tolist()


def before_after(
    G: nn.Module, layer: int, channels: Sequence[int], z: Tensor, y: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """The same latents without and with the channels zeroed -> two (B, C, H, W) in [-1, 1]."""
    module = feature_layers(G)[layer]
    before = generate(G, z, y)
    with zeroed(module, channels):
        after = generate(G, z, y)
    return before, after


def figure(
    before: Tensor, after: Tensor, region: tuple[int, int, int, int] | None = None
) -> np.ndarray:
    """Rows "before", "after" and "change" (|after - before|, brightest = largest change); the
    ``region`` the channels were chosen in is outlined on every image."""
    diff = (after - before).abs().amax(dim=1, keepdim=True)  # (B, 1, H, W)
    diff = (diff / diff.max().clamp_min(1e-8) * 2 - 1).expand_as(before)
    rows = [list(to_uint8(t)) for t in (before, after, diff)]
    labels = ["before", "after", "change"]
    return compose(rows, row_labels=labels, scale=auto_scale(before.shape[-1]), outline=region)
