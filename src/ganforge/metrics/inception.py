"""The FID InceptionV3: the 2015-12-05 TensorFlow Inception graph that defines FID, in PyTorch.

Paper: Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash
Equilibrium" (NeurIPS), which defines FID on the pool3 features of this graph; the graph is
Szegedy et al. 2016, "Rethinking the Inception Architecture for Computer Vision".
Reference implementations: https://github.com/mseitzer/pytorch-fid (src/pytorch_fid/inception.py:
`fid_inception_v3`, FIDInceptionA/C/E_1/E_2) and https://github.com/toshas/torch-fidelity
(feature_extractor_inceptionv3.py, interpolate_compat_tensorflow.py). The layer names here equal
torchvision's, so the published state dict loads unchanged.

How the TF graph differs from torchvision's InceptionV3 (why this is not `torchvision.models`):
- the average pools inside the A, C and E_1 blocks exclude the zero padding
  (`count_include_pad=False`), as TensorFlow's avg_pool does;
- the last block (Mixed_7c, "E_2") max-pools in its pool branch where the paper average-pools;
- the classifier has 1008 outputs (1000 classes + 8 unused), with bias.

Input protocol (torch-fidelity's, bit-compatible with the TF FID code): uint8 images -> float32 with
values 0..255 -> TF1 bilinear resize to 299x299 (`tf.image.resize_bilinear`, align_corners=False,
*no* half-pixel centres: source = destination * in/out, see ``resize_bilinear_tf1``) ->
(x - 128) / 128. Grayscale is repeated to 3 channels. pytorch-fid instead uses
`F.interpolate(align_corners=False)` (half-pixel centres) on [0, 1] inputs, which shifts the image
by up to half an input pixel and changes FID slightly; we follow torch-fidelity.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganforge.data.files.download import fetch
from ganforge.errors import GanforgeError
from ganforge.metrics.provenance import cache_dir, sha256_file

INPUT_SIZE = 299
WEIGHTS_FILE = "pt_inception-2015-12-05-6726825d.pth"
WEIGHTS_URL = (
    f"https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/{WEIGHTS_FILE}"
)
# Full SHA-256 of the published file (95,628,359 bytes, 566 state-dict entries). Its first 8 hex
# digits are the "6726825d" in the name: torch.hub's convention, which is all pytorch-fid checks.
# torch-fidelity republishes the identical file as weights-inception-2015-12-05-6726825d.pth.
WEIGHTS_SHA256 = "6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2"
RESIZE_PROTOCOL = (
    "uint8 -> float32 0..255; gray repeated to RGB; TF1 bilinear resize to 299x299 "
    "(align_corners=False, no half-pixel centres; torch-fidelity "
    "interpolate_bilinear_2d_like_tensorflow1x); (x - 128) / 128"
)


class BasicConv2d(nn.Module):
    """conv (no bias) -> BatchNorm(eps=1e-3, TF's value) -> ReLU."""

    def __init__(self, c_in: int, c_out: int, **conv: object) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, bias=False, **conv)
        self.bn = nn.BatchNorm2d(c_out, eps=0.001)

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(self.bn(self.conv(x)))


def _tf_avg_pool(x: Tensor) -> Tensor:
    # TensorFlow averages over the valid window only: padded zeros do not dilute border averages.
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


class FIDInceptionA(nn.Module):
    """Mixed_5b/c/d (35x35): 1x1 | 1x1-5x5 | 1x1-3x3-3x3 | TF avg-pool-1x1."""

    def __init__(self, c_in: int, pool_features: int) -> None:
        super().__init__()
        self.branch1x1 = BasicConv2d(c_in, 64, kernel_size=1)
        self.branch5x5_1 = BasicConv2d(c_in, 48, kernel_size=1)
        self.branch5x5_2 = BasicConv2d(48, 64, kernel_size=5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(c_in, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, padding=1)
        self.branch_pool = BasicConv2d(c_in, pool_features, kernel_size=1)

    def forward(self, x: Tensor) -> Tensor:
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        bp = self.branch_pool(_tf_avg_pool(x))
        return torch.cat([self.branch1x1(x), b5, b3, bp], 1)


class InceptionB(nn.Module):
    """Mixed_6a, grid reduction 35 -> 17 (same as torchvision)."""

    def __init__(self, c_in: int) -> None:
        super().__init__()
        self.branch3x3 = BasicConv2d(c_in, 384, kernel_size=3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(c_in, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, stride=2)

    def forward(self, x: Tensor) -> Tensor:
        b3 = self.branch3x3(x)
        bd = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([b3, bd, F.max_pool2d(x, kernel_size=3, stride=2)], 1)


class FIDInceptionC(nn.Module):
    """Mixed_6b..e (17x17): factorised 7x7 convolutions, TF avg-pool branch."""

    def __init__(self, c_in: int, channels_7x7: int) -> None:
        super().__init__()
        c7 = channels_7x7
        row, col = (
            {"kernel_size": (1, 7), "padding": (0, 3)},
            {"kernel_size": (7, 1), "padding": (3, 0)},
        )
        self.branch1x1 = BasicConv2d(c_in, 192, kernel_size=1)
        self.branch7x7_1 = BasicConv2d(c_in, c7, kernel_size=1)
        self.branch7x7_2 = BasicConv2d(c7, c7, **row)
        self.branch7x7_3 = BasicConv2d(c7, 192, **col)
        self.branch7x7dbl_1 = BasicConv2d(c_in, c7, kernel_size=1)
        self.branch7x7dbl_2 = BasicConv2d(c7, c7, **col)
        self.branch7x7dbl_3 = BasicConv2d(c7, c7, **row)
        self.branch7x7dbl_4 = BasicConv2d(c7, c7, **col)
        self.branch7x7dbl_5 = BasicConv2d(c7, 192, **row)
        self.branch_pool = BasicConv2d(c_in, 192, kernel_size=1)

    def forward(self, x: Tensor) -> Tensor:
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        bd = self.branch7x7dbl_1(x)
        for layer in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4):
            bd = layer(bd)
        bd = self.branch7x7dbl_5(bd)
        bp = self.branch_pool(_tf_avg_pool(x))
        return torch.cat([self.branch1x1(x), b7, bd, bp], 1)


class InceptionD(nn.Module):
    """Mixed_7a, grid reduction 17 -> 8 (same as torchvision)."""

    def __init__(self, c_in: int) -> None:
        super().__init__()
        self.branch3x3_1 = BasicConv2d(c_in, 192, kernel_size=1)
        self.branch3x3_2 = BasicConv2d(192, 320, kernel_size=3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(c_in, 192, kernel_size=1)
        self.branch7x7x3_2 = BasicConv2d(192, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(192, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(192, 192, kernel_size=3, stride=2)

    def forward(self, x: Tensor) -> Tensor:
        b3 = self.branch3x3_2(self.branch3x3_1(x))
        b7 = self.branch7x7x3_1(x)
        for layer in (self.branch7x7x3_2, self.branch7x7x3_3, self.branch7x7x3_4):
            b7 = layer(b7)
        return torch.cat([b3, b7, F.max_pool2d(x, kernel_size=3, stride=2)], 1)


class FIDInceptionE(nn.Module):
    """Mixed_7b ("E_1", TF avg-pool) and Mixed_7c ("E_2", max-pool: a quirk of the TF graph)."""

    def __init__(self, c_in: int, pool: str) -> None:
        super().__init__()
        self.pool = pool
        self.branch1x1 = BasicConv2d(c_in, 320, kernel_size=1)
        self.branch3x3_1 = BasicConv2d(c_in, 384, kernel_size=1)
        self.branch3x3_2a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(c_in, 448, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(448, 384, kernel_size=3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch_pool = BasicConv2d(c_in, 192, kernel_size=1)

    def forward(self, x: Tensor) -> Tensor:
        h = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(h), self.branch3x3_2b(h)], 1)
        h = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        bd = torch.cat([self.branch3x3dbl_3a(h), self.branch3x3dbl_3b(h)], 1)
        if self.pool == "max":
            pooled = F.max_pool2d(x, kernel_size=3, stride=1, padding=1)
        else:
            pooled = _tf_avg_pool(x)
        return torch.cat([self.branch1x1(x), b3, bd, self.branch_pool(pooled)], 1)


class FIDInceptionV3(nn.Module):
    """The FID graph up to the 1008-way classifier; input (N, 3, 299, 299) in [-1, 1]."""

    def __init__(self) -> None:
        super().__init__()
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, kernel_size=3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, kernel_size=3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, kernel_size=3, padding=1)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, kernel_size=1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, kernel_size=3)
        self.Mixed_5b = FIDInceptionA(192, pool_features=32)
        self.Mixed_5c = FIDInceptionA(256, pool_features=64)
        self.Mixed_5d = FIDInceptionA(288, pool_features=64)
        self.Mixed_6a = InceptionB(288)
        self.Mixed_6b = FIDInceptionC(768, channels_7x7=128)
        self.Mixed_6c = FIDInceptionC(768, channels_7x7=160)
        self.Mixed_6d = FIDInceptionC(768, channels_7x7=160)
        self.Mixed_6e = FIDInceptionC(768, channels_7x7=192)
        self.Mixed_7a = InceptionD(768)
        self.Mixed_7b = FIDInceptionE(1280, pool="avg")
        self.Mixed_7c = FIDInceptionE(2048, pool="max")
        self.fc = nn.Linear(2048, 1008)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """-> pool3 features (N, 2048), logits (N, 1008)."""
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))  # (N, 64, 147, 147)
        x = F.max_pool2d(x, kernel_size=3, stride=2)  # (N, 64, 73, 73)
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x))  # (N, 192, 71, 71)
        x = F.max_pool2d(x, kernel_size=3, stride=2)  # (N, 192, 35, 35)
        for block in (self.Mixed_5b, self.Mixed_5c, self.Mixed_5d, self.Mixed_6a):
            x = block(x)  # -> (N, 768, 17, 17)
        for block in (self.Mixed_6b, self.Mixed_6c, self.Mixed_6d, self.Mixed_6e, self.Mixed_7a):
            x = block(x)  # -> (N, 1280, 8, 8)
        x = self.Mixed_7c(self.Mixed_7b(x))  # (N, 2048, 8, 8)
        pool = x.mean(dim=(2, 3))  # (N, 2048): pool3
        return pool, self.fc(pool)


def resize_bilinear_tf1(x: Tensor, size: int) -> Tensor:
    """TF1 `resize_bilinear(align_corners=False)`: float (N, C, H, W) -> (N, C, size, size).

    TF1 maps output pixel i to source coordinate i * in/out (no half-pixel offset) and clamps the
    upper neighbour to the border. Columns are interpolated first, then rows, in float32 as
    torch-fidelity's `interpolate_bilinear_2d_like_tensorflow1x(method="slow")` does, so the result
    matches it to the bit.
    """

    def taps(n_in: int) -> tuple[Tensor, Tensor, Tensor]:
        src = torch.arange(size, dtype=torch.float32) * torch.tensor(
            n_in / size, dtype=torch.float32
        )
        lo = src.long()  # src >= 0, so truncation is floor
        hi = (lo + 1).clamp_max(n_in - 1)
        return lo, hi, (src - lo.float()).to(x.dtype)

    y_lo, y_hi, fy = taps(x.shape[2])
    x_lo, x_hi, fx = taps(x.shape[3])
    left, right = x[:, :, :, x_lo], x[:, :, :, x_hi]  # (N, C, H, size)
    cols = left + (right - left) * fx
    top, bottom = cols[:, :, y_lo], cols[:, :, y_hi]  # (N, C, size, size)
    return top + (bottom - top) * fy.view(-1, 1)


class InceptionFeatures(nn.Module):
    """uint8 (N, C, H, W) -> {"pool" (N, 2048), "logits" (N, 1008), "logits_unbiased" (N, 1008)}.

    "logits_unbiased" omits the fc bias: torch-fidelity computes the Inception Score from it.
    """

    def __init__(self, net: FIDInceptionV3) -> None:
        super().__init__()
        self.net = net.eval()

    def forward(self, images: Tensor) -> dict[str, Tensor]:
        x = images.float()
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        x = resize_bilinear_tf1(x, INPUT_SIZE)  # (N, 3, 299, 299), 0..255
        x = (x - 128) / 128
        pool, logits = self.net(x)
        return {"pool": pool, "logits": logits, "logits_unbiased": pool @ self.net.fc.weight.T}


def inception_weights_path(download: bool = True) -> Path:
    """The cached weight file, fetched once when absent (checksummed, atomic rename).

    Offline, or with ``download=False``, the GanforgeError names the URL and the folder where to
    place the file by hand.
    """
    return fetch(WEIGHTS_URL, WEIGHTS_SHA256, cache_dir() / WEIGHTS_FILE, allow_download=download)


def load_inception(
    path: str | Path | None = None, expected_sha256: str | None = WEIGHTS_SHA256
) -> tuple[FIDInceptionV3, str]:
    """Load the FID Inception from ``path`` (default: cached download); returns (net, SHA-256).

    ``expected_sha256=None`` skips the checksum: only for tests and deliberately converted files.
    Loading uses `torch.load(weights_only=True)`, which refuses pickled code.
    """
    path = Path(path) if path is not None else inception_weights_path()
    if not path.is_file():
        raise GanforgeError(f"Inception weights {path} not found; download {WEIGHTS_URL} there")
    digest = sha256_file(path)
    if expected_sha256 is not None and digest != expected_sha256:
        raise GanforgeError(
            f"{path} has SHA-256 {digest[:16]}..., expected {expected_sha256[:16]}...: the file is "
            "corrupt or a different model; delete it so it is downloaded again"
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # pickle/zip errors differ by torch version; all mean "bad file"
        raise GanforgeError(f"{path} is not a readable PyTorch state dict ({e}); delete it") from e
    net = FIDInceptionV3()
    expected = net.state_dict()
    if not isinstance(state, dict):
        raise GanforgeError(f"{path} holds a {type(state).__name__}, not a state dict")
    missing = sorted(set(expected) - set(state))
    extra = sorted(set(state) - set(expected))
    shapes = [
        f"{k} {tuple(state[k].shape)} != {tuple(v.shape)}"
        for k, v in expected.items()
        if k in state and isinstance(state[k], Tensor) and state[k].shape != v.shape
    ]
    if missing or extra or shapes:
        raise GanforgeError(
            f"{path} is not the FID Inception state dict: missing {missing[:3]}, "
            f"unexpected {extra[:3]}, shape mismatches {shapes[:3]}"
        )
    net.load_state_dict(state)
    return net.eval(), digest
