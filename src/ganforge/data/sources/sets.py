"""The canonical data sets: where they are published, their checksums, and where we look for them.

Checksums (each published file, then the decompressed IDX payload):
- Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, arXiv:1708.07747; https://github.com/zalandoresearch/
  fashion-mnist): SHA-256 of the four .gz files as served by the S3 site, from TensorFlow Datasets'
  ``url_checksums/fashion_mnist.txt`` (their MD5s match the README's: 8d4fb7e6..., 25c81989...,
  bef4ecab..., bb300cfd...). Copies that were re-compressed, like Debian's ``dataset-fashion-mnist``
  in /usr/share/datasets/fashion-mnist, have other .gz bytes but the same payload, so local copies
  are checked by the SHA-256 of their decompressed content.
- MNIST (LeCun, Cortes & Burges; http://yann.lecun.com/exdb/mnist/), from the ossci-datasets mirror
  torchvision uses: SHA-256 of the original .gz files (the same bytes torchvision lists by MD5:
  f68b3c2d..., d53e105e..., 9fb629c4..., ec29112d...).
- CIFAR-10 (Krizhevsky 2009): SHA-256 of cifar-10-python.tar.gz as Keras pins it
  (MD5 c58f30108f718f92721af3b95e74349a on the CIFAR page).

Look-up order: the cache folder, then a system copy, then a download (``data.download``). For
Fashion-MNIST the 10,000-image test split ships inside the package, so ``split=test`` never needs
the network and ``split=train`` falls back to it, with a warning, when the train split cannot be
found or fetched: `ganforge train` works offline with nothing installed.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ganforge.config import DataConfig
from ganforge.data.dataset import ImageData
from ganforge.data.files.archives import extract_tar
from ganforge.data.files.download import cache_dir, fetch
from ganforge.data.schemes import register_scheme
from ganforge.data.sources.cifar import read_cifar10
from ganforge.data.sources.idx import parse_idx, read_idx_bytes
from ganforge.errors import DataWarning, GanforgeError

SYSTEM_DATASETS = "/usr/share/datasets"
"""Where system packages put data sets (Debian's dataset-fashion-mnist: SYSTEM_DATASETS/fashion-mnist);
``$GANFORGE_DATASETS`` points elsewhere (an empty folder hides them, as on a fresh machine)."""
EMBEDDED_DIR = Path(__file__).resolve().parent.parent / "embedded"
FASHION_MNIST_BASE_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
MNIST_BASE_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
CIFAR10_FOLDER = "cifar-10-batches-py"


@dataclass(frozen=True)
class IdxFile:
    """One published IDX file: its name, the checksum of the .gz, and of the decompressed bytes."""

    name: str
    digest: str
    payload_sha256: str


@dataclass(frozen=True)
class IdxDataset:
    """An MNIST-format data set: images and labels files for the train and test splits."""

    key: str
    title: str
    files: dict[tuple[str, str], IdxFile]
    class_names: list[str]
    has_embedded_test: bool = False
    sizes: dict[str, int] = field(default_factory=lambda: {"train": 60_000, "test": 10_000})


FASHION_MNIST = IdxDataset(
    key="fashion-mnist",
    title="Fashion-MNIST",
    files={
        ("train", "images"): IdxFile(
            "train-images-idx3-ubyte.gz",
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        ),
        ("train", "labels"): IdxFile(
            "train-labels-idx1-ubyte.gz",
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        ),
        ("test", "images"): IdxFile(
            "t10k-images-idx3-ubyte.gz",
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        ),
        ("test", "labels"): IdxFile(
            "t10k-labels-idx1-ubyte.gz",
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
            "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        ),
    },
    class_names=[
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ],
    has_embedded_test=True,
)

MNIST = IdxDataset(
    key="mnist",
    title="MNIST",
    files={
        ("train", "images"): IdxFile(
            "train-images-idx3-ubyte.gz",
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        ),
        ("train", "labels"): IdxFile(
            "train-labels-idx1-ubyte.gz",
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        ),
        ("test", "images"): IdxFile(
            "t10k-images-idx3-ubyte.gz",
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        ),
        ("test", "labels"): IdxFile(
            "t10k-labels-idx1-ubyte.gz",
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        ),
    },
    class_names=[str(d) for d in range(10)],
)

IDX_DATASETS = {ds.key: ds for ds in (FASHION_MNIST, MNIST)}


def base_url(ds: IdxDataset) -> str:
    return {"fashion-mnist": FASHION_MNIST_BASE_URL, "mnist": MNIST_BASE_URL}[ds.key]


def system_dir(ds: IdxDataset) -> Path:
    """The system copy's folder of ``ds``: $GANFORGE_DATASETS (default /usr/share/datasets)/key."""
    return Path(os.environ.get("GANFORGE_DATASETS") or SYSTEM_DATASETS) / ds.key


# --------------------------------------------------------------------------- IDX sets


def _find(folder: Path, f: IdxFile) -> Path | None:
    """``folder/name.gz`` or its decompressed twin ``folder/name``."""
    for candidate in (folder / f.name, folder / f.name.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    return None


def read_verified(path: Path, f: IdxFile) -> np.ndarray:
    """Read an IDX file and check its decompressed content against the published data set."""
    data = read_idx_bytes(path)
    if hashlib.sha256(data).hexdigest() != f.payload_sha256:
        raise GanforgeError(
            f"{path} is not the published {f.name} (content checksum differs): delete it, "
            "and it will be found elsewhere or downloaded again"
        )
    return parse_idx(data, path.name)


@dataclass
class Located:
    """Where the two files of a split were found, and what happened on the way."""

    images: Path
    labels: Path
    origin: str
    split: str
    warnings: list[str] = field(default_factory=list)
    fallback: str = ""
    """Why the embedded test split stands in for the asked split (kept in the data report)."""


def locate_idx(ds: IdxDataset, split: str, cfg: DataConfig) -> Located:
    """Apply the look-up order (cache, system copy, embedded test split, download, fallback)."""
    img_f, lab_f = ds.files[(split, "images")], ds.files[(split, "labels")]
    cache = cache_dir(cfg) / ds.key
    looked = [cache, system_dir(ds)]
    for origin, folder in zip(("cache", "system"), looked):
        images, labels = _find(folder, img_f), _find(folder, lab_f)
        if images and labels:
            return Located(images, labels, origin, split)
    if split == "test" and ds.has_embedded_test:
        return Located(EMBEDDED_DIR / img_f.name, EMBEDDED_DIR / lab_f.name, "embedded", split)

    url = base_url(ds)
    try:
        # A file already in the cache (say, the labels) is kept; only what is missing is fetched.
        got = []
        for f in (img_f, lab_f):
            got.append(
                _find(cache, f)
                or fetch(url + f.name, f.digest, cache / f.name, allow_download=cfg.download)
            )
        return Located(got[0], got[1], "download", split)
    except GanforgeError as e:
        if not ds.has_embedded_test:
            raise
        why = "downloads are off (data.download=false)" if not cfg.download else str(e)
    # One short sentence: the README's Data section says where the full split comes from.
    msg = (
        f"{ds.title}'s {split} split is not installed (README: Data), so this uses the "
        f"{ds.sizes['test']:,} test images embedded in ganforge"
    )
    warnings.warn(msg, DataWarning, stacklevel=3)
    test_img, test_lab = ds.files[("test", "images")], ds.files[("test", "labels")]
    return Located(
        EMBEDDED_DIR / test_img.name, EMBEDDED_DIR / test_lab.name, "embedded", "test", [msg], why
    )


def load_idx_source(key: str, cfg: DataConfig) -> ImageData:
    """Fashion-MNIST or MNIST at their native size: uint8 (N, 1, 28, 28), int64 labels."""
    ds = IDX_DATASETS[key]
    loc = locate_idx(ds, cfg.split, cfg)
    images = read_verified(loc.images, ds.files[(loc.split, "images")])
    labels = read_verified(loc.labels, ds.files[(loc.split, "labels")])
    if images.ndim != 3 or labels.shape != (images.shape[0],):
        raise GanforgeError(f"{loc.images} and {loc.labels} do not form an image/label pair")
    report = {
        "origin": loc.origin,
        "split": loc.split,
        "paths": [str(loc.images), str(loc.labels)],
        "warnings": loc.warnings,
        **({"fallback": loc.fallback} if loc.fallback else {}),
    }
    return ImageData(
        torch.from_numpy(images).unsqueeze(1),  # (N, 1, 28, 28)
        torch.from_numpy(labels.astype(np.int64)),
        len(ds.class_names),
        ds.key,
        list(ds.class_names),
        report,
        ids=split_ids(ds.key, loc.split, len(images)),
    )


# --------------------------------------------------------------------------- CIFAR-10


def locate_cifar10(cfg: DataConfig) -> tuple[Path, str]:
    """The ``cifar-10-batches-py`` folder, extracting (after downloading) the archive if needed."""
    root = cache_dir(cfg) / "cifar10"
    folder = root / CIFAR10_FOLDER
    if folder.is_dir():
        return folder, "cache"
    archive = fetch(
        CIFAR10_URL, CIFAR10_SHA256, root / "cifar-10-python.tar.gz", allow_download=cfg.download
    )
    return extract_tar(archive, CIFAR10_FOLDER, folder), "download"


def load_cifar10(cfg: DataConfig) -> ImageData:
    """CIFAR-10 at its native size: uint8 (N, 3, 32, 32), int64 labels."""
    folder, origin = locate_cifar10(cfg)
    images, labels, names = read_cifar10(folder, cfg.split)
    report = {"origin": origin, "split": cfg.split, "paths": [str(folder)], "warnings": []}
    return ImageData(
        torch.from_numpy(images),
        torch.from_numpy(labels),
        len(names),
        "cifar10",
        names,
        report,
        ids=split_ids("cifar10", cfg.split, len(images)),
    )


def split_ids(key: str, split: str, n: int) -> list[str]:
    """The ids of a canonical set's items: ``<set>/<split>#<index in the published split>``."""
    return [f"{key}/{split}#{i}" for i in range(n)]


def _read_idx_scheme(key: str):
    def read(argument: str, cfg: DataConfig, seed: int, options: Any) -> ImageData:
        return load_idx_source(key, cfg)

    return read


def _read_cifar10(argument: str, cfg: DataConfig, seed: int, options: Any) -> ImageData:
    return load_cifar10(cfg)


register_scheme(
    "fashion-mnist",
    _read_idx_scheme("fashion-mnist"),
    doc="Fashion-MNIST (Xiao et al. 2017), 60k train / 10k test; the test split ships inside",
)
register_scheme(
    "mnist", _read_idx_scheme("mnist"), doc="MNIST, 60k train / 10k test (cache or download)"
)
register_scheme("cifar10", _read_cifar10, doc="CIFAR-10 python batches (cache or download)")
