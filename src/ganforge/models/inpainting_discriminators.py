"""Discriminators for inpainting: one that judges every patch, one that judges the whole and the hole.

- ``SNPatchDiscriminator``: SN-PatchGAN, Yu et al. 2019, "Free-Form Image Inpainting with Gated
  Convolution" (ICCV). Six 5x5 stride-2 convolutions (widths 64, 128,
  256, 256, 256, 256), spectral normalisation (Miyato et al. 2018) and LeakyReLU on each; the
  output is a 3-D feature map and the hinge loss is applied to each of its elements: every
  element is a GAN judging one patch, which suits free-form holes that can be anywhere and of any
  shape. D sees the image and the mask (concatenated). Reference:
  https://github.com/JiahuiYu/generative_inpainting (inpaint_model.py,
  build_sn_patch_gan_discriminator; inpaint_ops.py, dis_conv): LeakyReLU follows the last
  convolution too, and so it does here (the logits' negative side is scaled by 0.2, which the
  hinge loss does not mind). Spectral norm is ganforge's own (``models/spectral_norm.py``): the
  task runs ``power_iteration_`` once per D update.
- ``GlobalLocalDiscriminator``: Iizuka, Simo-Serra & Ishikawa 2017, "Globally and Locally
  Consistent Image Completion" (SIGGRAPH). A global network sees the
  whole image, a local one a patch centred on the completed region (half the image's side: 128 of
  256 in the paper); each is a stack of 5x5 stride-2 convolutions (64, 128, 256, 512, 512, 512)
  ending in a 1024-unit fully-connected layer; the two vectors are concatenated and a last
  fully-connected layer gives one logit. Batch norm and ReLU as in the paper, spectral norm on
  request. Suited to rectangular holes, whose box the patch is cut around; with free-form strokes
  the box may cover most of the image and the local view says little.

Calls: ``D(image, mask) -> (B, c, h, w)`` patch logits (SN-PatchGAN), ``D(image, boxes) -> (B,)``
logits (global + local), boxes (B, 4) int64 (y0, x0, y1, x1) as ``ganforge.masks`` returns them.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ganforge.models.layers import norm2d, sn


def local_crops(images: Tensor, boxes: Tensor, size: tuple[int, int]) -> Tensor:
    """(B, C, H, W) images -> (B, C, h, w) patches centred on each box's centre and moved inside
    the image (Iizuka et al.'s local view); a box larger than ``size`` is cut to its centre.
    Vectorised (one gather), differentiable with respect to the images."""
    b, _, H, W = images.shape
    h, w = size
    cy = (boxes[:, 0] + boxes[:, 2]) // 2
    cx = (boxes[:, 1] + boxes[:, 3]) // 2
    top = (cy - h // 2).clamp(0, H - h)
    left = (cx - w // 2).clamp(0, W - w)
    rows = (top.view(b, 1) + torch.arange(h, device=images.device)).view(b, h, 1)
    cols = (left.view(b, 1) + torch.arange(w, device=images.device)).view(b, 1, w)
    batch = torch.arange(b, device=images.device).view(b, 1, 1)
    # Advanced indices around a slice put their dimensions first: (B, h, w, C).
    return images[batch, :, rows, cols].permute(0, 3, 1, 2)


class SNPatchDiscriminator(nn.Module):
    """SN-PatchGAN (Yu et al. 2019); ``layers`` 5x5 stride-2 convolutions, each halving the side."""

    def __init__(self, channels: int = 3, width: int = 64, layers: int = 6) -> None:
        super().__init__()
        widths = [width * min(2**i, 4) for i in range(layers)]  # 64, 128, 256, 256, 256, 256
        seq: list[nn.Module] = []
        c = channels + 1  # the image and the mask
        for c_out in widths:
            seq += [sn(nn.Conv2d(c, c_out, 5, 2, 2), True), nn.LeakyReLU(0.2)]
            c = c_out
        self.net = nn.Sequential(*seq)

    def forward(self, image: Tensor, mask: Tensor) -> Tensor:
        x = torch.cat([image, mask.to(image.dtype)], dim=1)  # (B, C + 1, H, W)
        return self.net(x)  # (B, c, H / 2^layers, W / 2^layers): one logit per element


def _conv_stack(c_in: int, width: int, layers: int, norm: str, spectral: bool) -> nn.Sequential:
    """One of Iizuka et al.'s two columns: 5x5 stride-2 convolutions, norm, ReLU."""
    seq: list[nn.Module] = []
    c = c_in
    for i in range(layers):
        c_out = width * min(2**i, 8)
        # No norm on the first layer, as is usual for GAN discriminators (DCGAN); the paper is
        # silent on it.
        seq += [
            sn(nn.Conv2d(c, c_out, 5, 2, 2, bias=norm != "batch" or i == 0), spectral),
            nn.Identity() if i == 0 else norm2d(norm, c_out),
            nn.ReLU(),
        ]
        c = c_out
    return nn.Sequential(*seq)


def _flat_size(stack: nn.Sequential, c_in: int, size: tuple[int, int]) -> int:
    with torch.no_grad():
        return stack(torch.zeros(2, c_in, *size)).flatten(1).shape[1]


class GlobalLocalDiscriminator(nn.Module):
    """Iizuka et al. 2017's context discriminators for ``size`` (H, W) images and a local view of
    ``local_size`` (default: half of each side); ``fc`` units after each (1024 in the paper)."""

    def __init__(
        self,
        channels: int = 3,
        size: tuple[int, int] = (64, 64),
        local_size: tuple[int, int] | None = None,
        width: int = 64,
        global_layers: int = 4,
        local_layers: int = 3,
        fc: int = 1024,
        norm: str = "batch",
        spectral_norm: bool = False,
    ) -> None:
        super().__init__()
        self.size = tuple(size)
        self.local_size = tuple(local_size or (size[0] // 2, size[1] // 2))
        self.global_net = _conv_stack(channels, width, global_layers, norm, spectral_norm)
        self.local_net = _conv_stack(channels, width, local_layers, norm, spectral_norm)
        n_global = _flat_size(self.global_net, channels, self.size)
        n_local = _flat_size(self.local_net, channels, self.local_size)
        self.global_fc = sn(nn.Linear(n_global, fc), spectral_norm)
        self.local_fc = sn(nn.Linear(n_local, fc), spectral_norm)
        self.head = sn(nn.Linear(2 * fc, 1), spectral_norm)

    def forward(self, image: Tensor, boxes: Tensor) -> Tensor:
        g = self.global_fc(self.global_net(image).flatten(1))  # (B, fc)
        patch = local_crops(image, boxes, self.local_size)  # (B, C, h, w)
        l_ = self.local_fc(self.local_net(patch).flatten(1))  # (B, fc)
        # The 2048 values go straight to the last layer: our choice, no activation in between.
        return self.head(torch.cat([g, l_], dim=1)).squeeze(1)  # (B,) logits


DISCRIMINATORS: dict[str, type[nn.Module]] = {
    "sn-patch": SNPatchDiscriminator,
    "global-local": GlobalLocalDiscriminator,
}
"""Inpainting discriminators by config name; the default per mask kind is the task's choice
(global-local for rectangles, sn-patch for free-form strokes, as in the two papers)."""
