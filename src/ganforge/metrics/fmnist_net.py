"""The Fashion-MNIST feature network: a small CNN classifier whose penultimate layer stands in for
Inception on 28x28 grayscale data.

Why: Inception features of 28x28 clothing thumbnails upsampled to 299x299 are far from the ImageNet
statistics the network was trained on, and Inception costs ~6 GFLOPs per image on CPU. A classifier
trained on the data set itself is the protocol of the domain-specific scores in the literature:
Binkowski et al. 2018, "Demystifying MMD GANs" (ICLR), score MNIST models with features of a LeNet
classifier trained on MNIST. Reference
implementations of that protocol: https://github.com/mbinkowski/MMD-GAN (gan/compute_scores.py, the
FID/KID code run on any feature layer) and https://github.com/abdulfatir/gan-metrics-pytorch
(`LeNet5` as the FID/KID extractor for MNIST-like data).

A Frechet distance computed on these features is **FD-FMNIST**, never FID: its values are not
comparable with Inception FIDs in papers.

The same architecture and input protocol (normalisation constants included: a fixed affine map that
the first BatchNorm absorbs) trained on MNIST is the "mnist" extractor, whose scores are FD-MNIST,
KID-MNIST. It is not shipped: ``benchmarks/train_feature_net.py --dataset mnist`` writes it to
``<cache>/feature-nets/mnist.safetensors``, where ``mnist_weights_paths`` looks (after the
package's ``weights/mnist.safetensors``, if a release ships one).

Architecture ("fmnist-cnn-v1"), input (N, 1, 28, 28) normalised gray:
    conv 32 -> pool | conv 64, conv 64 -> pool | conv 128 -> pool   (28 -> 14 -> 7 -> 3)
    each conv 3x3 -> BatchNorm -> ReLU, each pool 2x2 max
    flatten (1152) -> linear 256 -> ReLU      = "pool" features (256-d)
    dropout -> linear 10                      = "logits"
Weights ship as safetensors (never pickle) with deterministic metadata (dataset, test accuracy,
seed, arch, ...) and a JSON sidecar that adds training time and versions. The extractor's identity is
a SHA-256 of the tensors (``WEIGHTS_IDENTITY``), not of the file.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from torch import Tensor, nn

from ganforge.data.transforms import rgb_to_gray
from ganforge.errors import GanforgeError
from ganforge.images import atomic_write_bytes
from ganforge.metrics.provenance import cache_dir, sha256_file, sha256_state_dict

ARCH = "fmnist-cnn-v1"
INPUT_SIZE = 28
FEATURE_DIM = 256
# Fashion-MNIST train-split pixel mean/std in [0, 1]; baked into the network so that its input is
# plain uint8 and nobody can normalise twice.
PIXEL_MEAN, PIXEL_STD = 0.2860, 0.3530
DEFAULT_WEIGHTS = Path(__file__).parent / "weights" / "fmnist.safetensors"
MNIST_CACHE_NAME = "feature-nets/mnist.safetensors"  # under the cache folder
MNIST_TRAIN_COMMAND = "python benchmarks/train_feature_net.py --dataset mnist"
# What "weights_sha256" hashes: the tensors, so retraining to identical weights (or re-saving them
# with other metadata) keeps the extractor's identity, and with it every cached reference.
WEIGHTS_IDENTITY = (
    "sha256 of the state-dict tensors: for each name in sorted order, "
    '"<name>|<dtype>|<shape>\\n" then the raw little-endian bytes'
)
RESIZE_PROTOCOL = (
    'RGB -> uint8 BT.601 luma (Pillow "L"); uint8 -> float/255; if not 28x28: bilinear resize '
    "to 28x28 with antialias (torch.nn.functional.interpolate, align_corners=False, "
    "antialias=True); (x - 0.2860) / 0.3530"
)


def _stage(*channels: int) -> nn.Sequential:
    """[conv3x3 -> BN -> ReLU] per consecutive channel pair, then a 2x2 max-pool."""
    layers: list[nn.Module] = []
    for c_in, c_out in zip(channels[:-1], channels[1:]):
        # conv without bias: BatchNorm's shift makes it redundant.
        layers += [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out)]
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers, nn.MaxPool2d(2))


class FmnistNet(nn.Module):
    """CNN classifier; ``features`` gives (pool, logits), ``forward`` gives logits for training."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        # The second conv sits at 14x14, where it is cheap: a third stage-1 conv at 28x28 would cost
        # as much as the rest of the network.
        self.convs = nn.Sequential(_stage(1, 32), _stage(32, 64, 64), _stage(64, 128))
        self.fc = nn.Linear(128 * 3 * 3, FEATURE_DIM)
        self.dropout = nn.Dropout(0.3)
        self.head = nn.Linear(FEATURE_DIM, num_classes)

    def features(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """x: normalised (N, 1, 28, 28) -> pool (N, 256), logits (N, K)."""
        h = self.convs(x).flatten(1)  # (N, 1152)
        pool = F.relu(self.fc(h))  # (N, 256)
        return pool, self.head(self.dropout(pool))

    def forward(self, x: Tensor) -> Tensor:
        return self.features(x)[1]


def preprocess(images: Tensor) -> Tensor:
    """uint8 (N, C, H, W), C in {1, 3} -> normalised float32 (N, 1, 28, 28)."""
    if images.shape[1] == 3:
        # The luma the data readers use for gray data sets (Pillow's "L", in uint8), so an RGB
        # fake and its gray training image enter the network identically.
        images = rgb_to_gray(images)
    x = images.float() / 255.0
    if x.shape[-2:] != (INPUT_SIZE, INPUT_SIZE):
        # Antialias so that downsampling 64x64 fakes averages pixels instead of aliasing.
        x = F.interpolate(
            x, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", align_corners=False, antialias=True
        )
    return (x - PIXEL_MEAN) / PIXEL_STD


class FmnistFeatures(nn.Module):
    """uint8 images -> {"pool": (N, 256), "logits": (N, 10)}: the extractor-facing wrapper."""

    def __init__(self, net: FmnistNet) -> None:
        super().__init__()
        self.net = net.eval()

    def forward(self, images: Tensor) -> dict[str, Tensor]:
        pool, logits = self.net.features(preprocess(images))
        return {"pool": pool, "logits": logits}


def mnist_weights_paths() -> list[Path]:
    """Where the "mnist" extractor looks, in order: shipped in the package, then the cache."""
    return [DEFAULT_WEIGHTS.with_name("mnist.safetensors"), cache_dir() / MNIST_CACHE_NAME]


def save_fmnist_net(
    net: FmnistNet,
    path: str | Path,
    meta: dict[str, Any],
    sidecar_extra: dict[str, Any] | None = None,
) -> str:
    """Write weights + ``meta`` as safetensors, and a JSON sidecar; returns the weights' SHA-256.

    ``meta`` goes into the file and should be deterministic (dataset, seed, accuracy, ...);
    run-dependent facts (training time, versions) belong in ``sidecar_extra``, which only the
    readable ``<name>.json`` sidecar records. The extractor's identity is ``sha256_state_dict`` of
    the tensors, so neither can change it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {"arch": ARCH, **meta}
    state = {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
    fd, tmp = tempfile.mkstemp(suffix=".safetensors", dir=path.parent)
    os.close(fd)
    try:
        save_file(state, tmp, metadata={k: str(v) for k, v in sorted(meta.items())})
        os.chmod(tmp, 0o644)  # mkstemp makes owner-only files; shipped weights are world-readable
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    digest = sha256_state_dict(state)
    sidecar = {
        **meta,
        **(sidecar_extra or {}),
        "weights_sha256": digest,
        "weights_sha256_of": WEIGHTS_IDENTITY,
        "file_sha256": sha256_file(path),
    }
    atomic_write_bytes(path.with_suffix(".json"), (json.dumps(sidecar, indent=2) + "\n").encode())
    return digest


def load_fmnist_net(
    path: str | Path | None = None, dataset: str | None = None
) -> tuple[FmnistNet, dict[str, str], str]:
    """Load the shipped (or a given) weight file -> (net in eval mode, metadata, weights SHA-256).

    The SHA-256 is ``sha256_state_dict`` of the tensors (see ``WEIGHTS_IDENTITY``). With
    ``dataset``, a file trained on another data set is refused.
    """
    path = Path(path) if path is not None else DEFAULT_WEIGHTS
    if not path.is_file():
        raise GanforgeError(
            f"feature-network weights {path} not found; train them with "
            "`python benchmarks/train_feature_net.py --out <file>` or reinstall ganforge"
        )
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = dict(f.metadata() or {})
        state = load_file(str(path))
    except Exception as e:  # safetensors raises its own types for truncated/garbled headers
        raise GanforgeError(f"{path} is not a readable safetensors file ({e}); re-create it") from e
    if meta.get("arch") != ARCH:
        raise GanforgeError(f"{path} holds arch {meta.get('arch')!r}, expected {ARCH!r}")
    if dataset is not None and meta.get("dataset") != dataset:
        raise GanforgeError(
            f"{path} is a classifier of {meta.get('dataset')!r}, not {dataset!r}: its features "
            "would be named after the wrong data set"
        )
    net = FmnistNet(num_classes=int(meta.get("num_classes", 10)))
    expected = net.state_dict()
    bad = sorted(set(expected) ^ set(state))
    bad += [k for k in expected if k in state and state[k].shape != expected[k].shape]
    if bad:
        raise GanforgeError(f"{path} does not match {ARCH} (keys/shapes differ: {bad[:4]})")
    net.load_state_dict(state)
    return net.eval(), meta, sha256_state_dict(state)
