"""``ganforge export --format hub`` and ``save_pretrained``: a model folder a Hugging Face model
repository holds as it is (layout in ``ganforge/hub/folder.py``).

The folder carries the run's EMA generator (``model.safetensors``, float32 unless float16 is
asked for: half the size, and a 32 px DCGAN's FD moves by far less than its sampling noise), the
run's resolved config with the card's facts (``config.json``), a grid of 64 samples of seed 0
(``samples.png``) and the README.md model card (hub/card.py) with the run's scores: the newest
``ganforge eval`` result of the exported checkpoint, protocol and all (none: the card says how to
get one). It appears whole or not at all (``atomic.atomic_dir``), and ``hf:USER/NAME`` or the
folder's path opens it again wherever a run is taken (``runs.load_run``).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import torch

from ganforge.atomic import atomic_dir
from ganforge.errors import GanforgeError
from ganforge.explore import sample as S
from ganforge.hub import card as C
from ganforge.hub.folder import (
    CARD,
    CONFIG,
    GRID,
    WEIGHTS,
    config_bytes,
    config_tree,
    weights_bytes,
)
from ganforge.images import make_grid, to_pil, to_uint8
from ganforge.runs import LoadedRun
from ganforge.version import __version__

DTYPES = {"float32": torch.float32, "float16": torch.float16}
GRID_SAMPLES = 64


def eval_result(run: LoadedRun) -> dict[str, Any] | None:
    """The newest ``ganforge eval`` result of the run's exported checkpoint, or None."""
    if run.read_only:
        return None
    found = sorted(
        (Path(run.run_dir) / "eval").glob(f"eval-{run.checkpoint.stem}-*.json"),
        key=lambda p: p.stat().st_mtime,
    )
    for path in reversed(found):
        try:
            result = json.loads(path.read_text())
        except (OSError, ValueError):
            continue  # a damaged result is no score; the card says none was found
        if isinstance(result.get("metrics"), dict) and isinstance(result.get("protocol"), dict):
            return result
    return None


def card_facts(run: LoadedRun, license_: str) -> dict[str, Any]:
    """What the card states: carried over from a model folder, or gathered from the run."""
    if run.card:
        return dict(run.card)
    cfg = run.cfg
    facts: dict[str, Any] = {
        "summary": cfg.description or f"A {cfg.model.arch} generator trained with ganforge.",
        "license": license_,
        "dataset": cfg.data.source,
        "training_command": f"ganforge train --preset {cfg.name} --set "
        f"train.images={cfg.train.images}  # the full resolved config: config.json's `config`",
        "ganforge": __version__,
    }
    result = eval_result(run)
    if result is not None:
        facts["metrics"] = {
            k: v for k, v in result["metrics"].items() if isinstance(v, (int, float, str))
        }
        facts["protocol"] = protocol_facts(result["protocol"])
    return facts


PROTOCOL_KEYS = ("hash", "extractor", "weights_sha256", "n_fake", "n_real", "dataset", "split")
"""What a model card keeps of an evaluation's protocol (with its seed): enough to name it."""


def protocol_facts(protocol: dict[str, Any]) -> dict[str, Any]:
    """The card's part of an evaluation protocol (``PROTOCOL_KEYS`` and the seed)."""
    return {k: protocol[k] for k in (*PROTOCOL_KEYS, "seed") if k in protocol}


def _grid_png(run: LoadedRun) -> bytes:
    G = run.require("sample", command="`ganforge export --format hub`").G
    samples = S.draw(G, GRID_SAMPLES, seed=0, num_classes=run.num_classes)
    grid = make_grid(to_uint8(samples.images), nrow=8)
    buf = io.BytesIO()
    to_pil(grid).save(buf, format="PNG")
    return buf.getvalue()


def save_pretrained(
    run: LoadedRun, out: str | Path, dtype: str = "float32", license_: str = "mit"
) -> Path:
    """Write ``run``'s generator as a model folder at ``out`` (a new or empty folder)."""
    out = Path(out)
    if dtype not in DTYPES:
        raise GanforgeError(f"--dtype {dtype}: use float32 or float16")
    model = run.require("sample", command="`ganforge export --format hub`")
    if run.cfg.data.is_toy:
        raise GanforgeError("a toy run makes 2-D points, not images: export it as safetensors")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise GanforgeError(
            f"--out {out} already exists and is not an empty folder: pick a new name"
        )
    facts = card_facts(run, license_)
    tree = config_tree(
        run.cfg,
        network=model.network,
        ema=run.used_ema,
        num_classes=run.num_classes,
        class_names=list(run.class_names),
        images_seen=run.images_seen,
        card=facts,
        extra={"inputs": model.export_config()["inputs"], "dtype": dtype},
    )
    files = {
        CONFIG: config_bytes(tree),
        WEIGHTS: weights_bytes(model.module.state_dict(), DTYPES[dtype]),
        GRID: _grid_png(run),
        CARD: C.render(out.name, run.cfg, facts, run.images_seen, run.num_classes).encode(),
    }
    if out.is_dir():
        out.rmdir()  # empty: atomic_dir puts the finished folder in its place
    with atomic_dir(out) as tmp:
        for name, data in files.items():
            (tmp / name).write_bytes(data)
    return out
