"""VGG19 features for SRGAN's content loss: Simonyan & Zisserman 2015, "Very Deep Convolutional
Networks for Large-Scale Image Recognition" (configuration E), with the ImageNet weights that
torchvision publishes.

Ledig et al. 2017 (SRGAN), section 2.2.1: phi_{i,j} is the feature map after the j-th convolution
(and its ReLU) before the i-th max-pooling; "VGG54" (phi_{5,4}) is the paper's choice, "VGG22" its
low-level variant. Only the layers up to the chosen one are built.

torchvision is not a dependency, so the network is written here with the module layout of
``torchvision.models.vgg19().features`` (indices 0, 2, 5, 7, ... are the convolutions): the state-dict
keys ``features.<i>.weight/bias`` of the official file load unchanged. The file
(https://download.pytorch.org/models/vgg19-dcbb9e9d.pth, 574,673,361 bytes) is fetched once into the
cache folder and checked by SHA-256 before ``torch.load(weights_only=True)`` reads it (no code is
unpickled). Provenance of the digest: torchvision names its files after the first 8 hex digits of
their SHA-256 ("dcbb9e9d"); the full value below is the one a third-party weight inventory lists
for this URL, and it agrees with that prefix and the size. It was not re-derived here (the file
could not be downloaded on the machine this was written on); a mismatch stops with a clear error.
Offline, place the file as ``<cache>/weights/vgg19-dcbb9e9d.pth`` (cache: data.cache_dir,
$GANFORGE_CACHE or ~/.cache/ganforge). Files of 2017 use torch's legacy (non-zip) serialization,
which ``torch.load`` reads without memory-mapping.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import torch
from torch import Tensor, nn

from ganforge.data.files.download import fetch
from ganforge.errors import GanforgeError

WEIGHTS_URL = "https://download.pytorch.org/models/vgg19-dcbb9e9d.pth"
WEIGHTS_FILE = "vgg19-dcbb9e9d.pth"
WEIGHTS_SHA256 = "dcbb9e9dad569fff7a846263a77324fc34978fea2bfb039c012d710e1776ae44"
WEIGHTS_BYTES = 574_673_361

# Configuration E: channels per conv, "M" = 2x2 max-pool.
_CFG = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M"]
_CFG += [512, 512, 512, 512, "M", 512, 512, 512, 512, "M"]
# ImageNet statistics the weights were trained with (inputs in [0, 1] before this).
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def layer_index(layer: str) -> int:
    """``"5_4"`` -> index in ``features`` of the ReLU after conv5_4 (35); ``"2_2"`` -> 8."""
    try:
        block, conv = (int(v) for v in layer.split("_"))
    except ValueError:
        raise GanforgeError(f"VGG layer {layer!r} must look like 5_4 or 2_2") from None
    idx, b, c = 0, 1, 0
    for v in _CFG:
        if v == "M":
            b, c = b + 1, 0
            idx += 1
            continue
        c += 1
        if (b, c) == (block, conv):
            return idx + 1  # the ReLU after the conv
        idx += 2
    raise GanforgeError(f"VGG19 has no conv{layer} (blocks 1-5, up to 4 convolutions each)")


class VGG19Features(nn.Module):
    """``features[: index + 1]`` of torchvision's vgg19: images in [-1, 1] -> phi_{i,j}."""

    def __init__(self, layer: str = "5_4") -> None:
        super().__init__()
        last = layer_index(layer)
        mods: list[nn.Module] = []
        c = 3
        for v in _CFG:
            if v == "M":
                mods.append(nn.MaxPool2d(2, 2))
            else:
                mods += [nn.Conv2d(c, int(v), 3, padding=1), nn.ReLU(inplace=True)]
                c = int(v)
        self.layer = layer
        self.features = nn.Sequential(*mods[: last + 1])
        self.register_buffer("mean", torch.tensor(MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(STD).view(1, 3, 1, 1), persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)  # grey -> RGB: what the network was trained on
        x = ((x + 1) / 2 - self.mean) / self.std
        return self.features(x)


def load_vgg19(path: str | Path, layer: str = "5_4") -> VGG19Features:
    """Frozen VGG19 features from a torchvision-format state dict file (``vgg19-*.pth``)."""
    # mmap keeps the 548 MB file (most of it the classifier we drop) out of memory, but torch can
    # map only the zip format (torch >= 1.6); torchvision's 2017 file is the legacy format.
    mmap = zipfile.is_zipfile(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)
    except Exception as e:  # pickle errors, truncated zip, not a torch file at all
        raise GanforgeError(f"{path} is not a readable PyTorch weight file ({e})") from None
    net = VGG19Features(layer)
    wanted = net.features.state_dict().keys()
    try:
        net.features.load_state_dict({k: state[f"features.{k}"] for k in wanted})
    except (KeyError, RuntimeError, TypeError) as e:
        raise GanforgeError(
            f"{path} is not torchvision's vgg19 state dict ({type(e).__name__}: {e})"
        ) from None
    return net.eval().requires_grad_(False)


def fetch_vgg19(cache: Path, allow_download: bool, layer: str = "5_4") -> VGG19Features:
    """The VGG19 features, downloading and verifying the weights the first time."""
    dest = Path(cache) / "weights" / WEIGHTS_FILE
    try:
        path = fetch(WEIGHTS_URL, WEIGHTS_SHA256, dest, allow_download=allow_download)
    except GanforgeError as e:
        raise GanforgeError(
            f"SRGAN's VGG content loss needs the ImageNet VGG19 weights ({e}). Offline, "
            "use i2i.content_loss=l1 or dfeat instead"
        ) from None
    return load_vgg19(path, layer)
