"""The pix2pix generator: Isola, Zhu, Zhou & Efros 2017, "Image-to-Image Translation with
Conditional Adversarial Networks" (CVPR, arXiv:1611.07004), section 3.2.1 and appendix 6.1.2.

An encoder-decoder whose layer i of the encoder is concatenated to layer n-i of the decoder (a
"U-Net", Ronneberger et al. 2015), so low-level structure (edges, layout) is shuttled straight to
the output. Encoder C64-C128-C256-C512-C512-C512-C512-C512 (4x4 convolutions, stride 2,
LeakyReLU 0.2, batch norm on all but the first and the innermost layer); decoder the mirror with
ReLU and transposed convolutions, dropout 0.5 in the three innermost decoder blocks (the paper's
only noise source: "we provide noise only in the form of dropout"), Tanh out. Reference:
https://github.com/junyanz/pytorch-CycleGAN-and-pix2pix, models/networks.py (UnetGenerator,
UnetSkipConnectionBlock), written here as two plain lists instead of a recursion.

``depth`` stride-2 levels: 8 gives the 1x1 bottleneck of the paper at 256 px; 5 does the same at
32 px. Inputs must have sides divisible by 2**depth (``translate`` pads to that).

Deviation at depth < 8: the reference puts dropout in the ``num_downs - 5`` blocks of 512 channels
next to the innermost one, i.e. in none at all below 256 px; we keep three dropout blocks next to
the innermost (fewer when depth < 5), so the small demos keep pix2pix's only noise source. The
generator is run in eval mode for inference (dropout off), unlike the paper's test-time dropout:
see ``ganforge/inference/translator.py``.
Call signature: ``G(x) -> y``, x (B, in_channels, H, W) and y (B, out_channels, H, W) in [-1, 1].
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ganforge.models.layers import dcgan_init_, norm2d


class UNetGenerator(nn.Module):
    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 3,
        width: int = 64,
        depth: int = 8,
        norm: str = "batch",
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        if depth < 2:
            raise ValueError(f"a U-Net needs at least 2 levels, got depth={depth}")
        self.depth = depth
        self.multiple = 2**depth  # input sides must be divisible by this
        widths = [width * min(2**i, 8) for i in range(depth)]  # 64, 128, 256, 512, 512, ...
        bias = norm != "batch"  # batch norm's shift makes a conv bias redundant

        downs: list[nn.Module] = [nn.Conv2d(in_channels, widths[0], 4, 2, 1)]
        for i in range(1, depth):
            innermost = i == depth - 1
            downs.append(
                nn.Sequential(
                    nn.LeakyReLU(0.2),
                    nn.Conv2d(widths[i - 1], widths[i], 4, 2, 1, bias=bias or innermost),
                    nn.Identity() if innermost else norm2d(norm, widths[i]),
                )
            )
        # ups[i] undoes downs[i]; every up but the innermost sees [skip_i, up_{i+1}] concatenated.
        n_dropout = min(3, depth - 2)
        ups: list[nn.Module] = [
            nn.Sequential(
                nn.ReLU(), nn.ConvTranspose2d(2 * widths[0], out_channels, 4, 2, 1), nn.Tanh()
            )
        ]
        for i in range(1, depth):
            c_in = widths[i] if i == depth - 1 else 2 * widths[i]
            layers = [
                nn.ReLU(),
                nn.ConvTranspose2d(c_in, widths[i - 1], 4, 2, 1, bias=bias),
                norm2d(norm, widths[i - 1]),
            ]
            if dropout > 0 and depth - 1 - n_dropout <= i < depth - 1:
                layers.append(nn.Dropout(dropout))
            ups.append(nn.Sequential(*layers))
        self.downs, self.ups = nn.ModuleList(downs), nn.ModuleList(ups)
        dcgan_init_(self)  # N(0, 0.02), as the paper's appendix 6.2 prescribes

    def forward(self, x: Tensor) -> Tensor:
        skips = []
        h = x
        for down in self.downs:
            h = down(h)
            skips.append(h)  # s_i: (B, w_i, H / 2^(i+1), W / 2^(i+1))
        h = self.ups[-1](skips[-1])
        for i in range(self.depth - 2, -1, -1):
            h = self.ups[i](torch.cat([skips[i], h], dim=1))
        return h  # (B, out_channels, H, W) in [-1, 1]
