"""Generator inputs reproducible by (seed, index): latents z, their truncation, and class labels.

Sample ``i`` of seed ``s`` is the same vector whatever ``n`` is and whichever other indices are
drawn with it, so ``ganforge sheet --seed 7`` and ``ganforge arithmetic --seed 7 --a 3,18,52``
agree on what "sample 18" is. A stateful RNG stream cannot promise that (PyTorch's CPU ``randn``
redraws its last 16 values depending on the total size), so each coordinate is a pure function of
(seed, index, coordinate): coordinate j of sample i is output j of a SplitMix64 stream (Steele,
Lea & Flood 2014, "Fast Splittable Pseudorandom Number Generators") keyed by hash(seed, i). Its
53 high bits give u in (0, 1) and z = Phi^-1(u) is standard normal. Everything is vectorised
over (index, coordinate) with integer arithmetic, so the numbers are the same on every machine.

Truncation (the "truncation trick" of Brock, Donahue & Simonyan 2019, BigGAN section 3.1: values
of |z| above a threshold t are resampled) is done exactly and without a loop: the same u is mapped
into the normal's central interval, z = Phi^-1(Phi(-t) + u (Phi(t) - Phi(-t))), which draws from
the normal truncated to [-t, t]. The map is monotone in u, so a truncated sample is the same sample
pulled toward the mode rather than a different one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from ganforge.errors import GanforgeError

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # SplitMix64's increment (2^64 / golden ratio, odd)
_LABEL_STREAM = np.uint64(0x6C6162656C)  # "label": a separate stream for random class labels
MAX_INDEX = 2**63 - 1
"""Largest sample index (indices are int64 before they are hashed)."""


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """One SplitMix64 output for each state in ``x`` (uint64; arithmetic wraps mod 2^64)."""
    with np.errstate(over="ignore"):
        x = x + _GOLDEN
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def _keys(seed: int, indices: np.ndarray) -> np.ndarray:
    """hash(seed, index) -> (N,) uint64 stream keys."""
    s = _splitmix64(np.array([seed % 2**64], dtype=np.uint64))
    return _splitmix64(s ^ indices.astype(np.uint64))


def check_index(index: int, what: str = "sample index") -> int:
    """A one-line error for an index outside 0..MAX_INDEX (numpy would raise OverflowError)."""
    if index < 0:
        raise GanforgeError(f"{what} {index} is negative: indices start at 0")
    if index > MAX_INDEX:
        raise GanforgeError(f"{what} {index} is too large: indices go up to 2^63 - 1 ({MAX_INDEX})")
    return index


def _as_indices(indices: Sequence[int] | range | Tensor | np.ndarray) -> np.ndarray:
    if isinstance(indices, (Tensor, np.ndarray)):
        idx = np.asarray(indices.tolist(), np.int64)
    elif isinstance(indices, range) and len(indices):  # bounds from the ends, no Python loop
        check_index(min(indices[0], indices[-1]))
        check_index(max(indices[0], indices[-1]))
        idx = np.arange(indices.start, indices.stop, indices.step, dtype=np.int64)
    else:
        idx = np.asarray([check_index(int(i)) for i in indices], np.int64)
    if idx.ndim != 1:
        raise ValueError("indices must be one-dimensional")
    if idx.size and idx.min() < 0:
        raise GanforgeError(f"sample index {int(idx.min())} is negative: indices start at 0")
    return idx


def uniforms(seed: int, indices: Sequence[int] | range | Tensor, dim: int) -> Tensor:
    """(N, dim) float64 in the open interval (0, 1); row k depends only on (seed, indices[k])."""
    keys = _keys(seed, _as_indices(indices))
    with np.errstate(over="ignore"):
        states = keys[:, None] + np.arange(dim, dtype=np.uint64)[None, :] * _GOLDEN  # (N, dim)
    bits = _splitmix64(states) >> np.uint64(11)  # the 53 best bits
    return torch.from_numpy((bits.astype(np.float64) + 0.5) * 2.0**-53)


def check_truncation(truncation: float | None) -> None:
    if truncation is not None and not truncation > 0:
        raise GanforgeError(
            f"--truncation {truncation} must be positive (e.g. 0.7; leave it out for none)"
        )


def latents(
    seed: int,
    indices: Sequence[int] | range | Tensor,
    z_dim: int,
    truncation: float | None = None,
) -> Tensor:
    """(N, z_dim) float32 standard normal latents, sample ``indices[k]`` of ``seed`` in row k.

    With ``truncation=t`` every coordinate lies in [-t, t] (exact truncated normal, see the
    module docstring).
    """
    check_truncation(truncation)
    u = uniforms(seed, indices, z_dim)  # (N, z_dim) float64
    if truncation is not None:
        t = torch.tensor(float(truncation), dtype=torch.float64)
        lo, hi = torch.special.ndtr(-t), torch.special.ndtr(t)
        u = lo + u * (hi - lo)
    return torch.special.ndtri(u).float()


# --------------------------------------------------------------------------- class labels


def resolve_label(
    label: str | int | None, num_classes: int, class_names: Sequence[str]
) -> int | None:
    """A class given by number or name -> its index; a label for an unconditional run is an error."""
    if label is None:
        return None
    if num_classes == 0:
        raise GanforgeError("this run is not class-conditional: drop --label")
    text = str(label).strip()
    if text.lstrip("-").isdigit():
        k = int(text)
        if not 0 <= k < num_classes:
            raise GanforgeError(
                f"--label {k} is out of range: this run has classes 0-{num_classes - 1}"
            )
        return k
    lowered = [n.lower() for n in class_names]
    if text.lower() in lowered:
        return lowered.index(text.lower())
    names = ", ".join(class_names) if class_names else f"0-{num_classes - 1}"
    raise GanforgeError(f"--label {text!r} is not a class of this run: use one of {names}")


def labels(
    indices: Sequence[int] | range | Tensor, num_classes: int, label: int | None = None
) -> Tensor | None:
    """(N,) int64 class labels for a conditional generator, None for an unconditional one.

    A fixed ``label`` is used for every sample; otherwise classes cycle with the index
    (sample i has class i mod K), so a grid shows every class and a sample keeps its class.
    """
    if num_classes == 0:
        return None
    idx = torch.from_numpy(_as_indices(indices))
    if label is not None:
        return torch.full_like(idx, label)
    return idx % num_classes


# --------------------------------------------------------------------------- latents from files


def load_latents(path: str | Path, z_dim: int) -> Tensor:
    """A ``.npy`` file of one latent (z_dim,) or several (k, z_dim) -> (k, z_dim) float32."""
    path = Path(path)
    if not path.is_file():
        raise GanforgeError(f"{path} does not exist: give a .npy file saved by ganforge")
    try:
        arr = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as e:
        raise GanforgeError(f"{path} is not a .npy array ({e})") from None
    if arr.ndim == 1:
        arr = arr[None]
    if arr.ndim != 2 or arr.shape[1] != z_dim or not np.issubdtype(arr.dtype, np.floating):
        raise GanforgeError(
            f"{path} holds a {arr.dtype} array of shape {arr.shape}, but this generator takes "
            f"latents of size {z_dim}: give (k, {z_dim}) floats, e.g. from `ganforge invert --save-z`"
        )
    if not np.isfinite(arr).all():
        raise GanforgeError(f"{path} contains NaN or infinite values")
    return torch.from_numpy(arr.astype(np.float32))


@dataclass
class Picked:
    """Latents named on the command line, row by row."""

    z: Tensor
    """(k, z_dim) latents."""
    names: list[str]
    """A short name per row: ``#18`` for sample 18, ``z.npy`` for a row of that file."""
    index: list[int | None]
    """The sample index of each row, None for rows read from a ``.npy`` file."""

    @property
    def from_files(self) -> bool:
        return any(i is None for i in self.index)


def parse_latents(
    spec: str, seed: int, z_dim: int, truncation: float | None = None, flag: str = ""
) -> Picked:
    """``"3,18,52"`` (sample indices of ``seed``) or ``"a.npy,b.npy"`` (files), mixed freely.

    Truncation applies to the indices only: a ``.npy`` latent (e.g. found by inversion) is used
    as saved, since pulling it toward the mode would change the image it stands for.
    """
    where = f"{flag} " if flag else ""
    items = [s.strip() for s in spec.split(",") if s.strip()]
    if not items:
        raise GanforgeError(
            f"{where}{spec!r} names no latents: give sample indices such as 3,18,52"
        )
    rows, names, index = [], [], []
    for item in items:
        if item.isascii() and item.isdigit():  # not str.isdigit alone: it accepts "²"
            i = check_index(int(item), f"{where}sample index".strip())
            rows.append(latents(seed, [i], z_dim, truncation))
            names.append(f"#{i}")
            index.append(i)
        elif item.endswith(".npy"):
            z = load_latents(item, z_dim)
            rows.append(z)
            names += [Path(item).name] * len(z)
            index += [None] * len(z)
        else:
            raise GanforgeError(
                f"{where}{item!r} is neither a sample index nor a .npy file: use e.g. 18 or z.npy"
            )
    return Picked(torch.cat(rows), names, index)


def labels_for(
    picked: Picked, num_classes: int, label: int | None = None, flag: str = ""
) -> Tensor | None:
    """(k,) classes of picked latents: ``label`` if given, else each sample's own class (as in
    ``labels``); a ``.npy`` latent carries no class, so a conditional run then needs ``label``."""
    if num_classes == 0:
        return None
    if label is None and picked.from_files:
        raise GanforgeError(
            f"this run is class-conditional and the .npy latent{' of ' + flag if flag else ''} "
            "carries no class: give --label"
        )
    return labels([0 if i is None else i for i in picked.index], num_classes, label)
