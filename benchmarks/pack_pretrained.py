"""Pack a trained run into ``src/ganforge/pretrained/NAME``: the shipped model folder and its card.

Used by ``train_pretrained.py pack``. The run's EMA generator is written as a float16 model folder
(``ganforge export --format hub``'s writer), that very folder is scored by ``ganforge eval`` (10k
samples, FD-FMNIST with its protocol: the score is the shipped weights', float16 included), and
the card's facts (score, protocol, images seen, the commands, licence) go into its config.json
and README.md. ``index.json`` then records the SHA-256 of every file, which ``pretrained:NAME``
checks before it reads them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from ganforge.atomic import atomic_write_bytes
from ganforge.explore.hub_export import protocol_facts, save_pretrained
from ganforge.hub import card as C
from ganforge.hub.folder import CARD, CONFIG, FILES, config_bytes
from ganforge.hub.pretrained import INDEX, sha256_of
from ganforge.runs import load_run

LICENSE_NOTE = (
    "The weights are released under the MIT licence, as ganforge is. They were trained on "
    "Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, https://github.com/zalandoresearch/fashion-mnist), "
    "MIT licence, Copyright (c) 2017 Zalando SE."
)


def eval_command(folder: Path, checkpoint: str | None = None, out: Path | None = None) -> list[str]:
    """The ``ganforge eval`` the card's score comes from (10k samples, the default protocol)."""
    command = [sys.executable, "-m", "ganforge", "eval", str(folder), "--n", "10000"]
    command += ["--metrics", "fd,kid,pr,modes", "--features", "fmnist"]
    if checkpoint:
        command += ["--checkpoint", checkpoint]
    if out is not None:
        command += ["--json", str(out)]
    return command


def score(folder: Path) -> dict[str, Any]:
    """``ganforge eval`` of a model folder -> its JSON result."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "eval.json"
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        subprocess.run(eval_command(folder, out=out), env=env, check=True)
        return json.loads(out.read_text())


def pack(
    name: str, recipe: dict, run_dir: Path, package: Path, checkpoint: str | None = None
) -> Path:
    """Pack ``run_dir`` (its newest checkpoint, or ``checkpoint``) as ``package/name``."""
    run = load_run(run_dir, checkpoint)
    with tempfile.TemporaryDirectory() as tmp:
        folder = save_pretrained(run, Path(tmp) / name, dtype="float16")
        result = score(folder)
        tree = json.loads((folder / CONFIG).read_text())
        tree["card"] = {
            "summary": recipe["summary"],
            "license": "mit",
            "license_note": LICENSE_NOTE,
            "dataset": "fashion-mnist",
            "training_command": (
                f"python benchmarks/train_pretrained.py train {name}   # = ganforge train --preset "
                f"{recipe['preset']} --set train.images={run.images_seen} --set runtime.threads=1 "
                "--set train.eval_every=0"
            ),
            "images_seen": run.images_seen,
            "checkpoint": run.checkpoint.name,
            "metrics": {k: v for k, v in result["metrics"].items() if isinstance(v, (int, float))},
            "eval_command": f"ganforge eval pretrained:{name} --n 10000 --metrics fd,kid,pr,modes "
            "--features fmnist",
            "protocol": protocol_facts(result["protocol"]),
            "notes": recipe.get("notes", []),
        }
        (folder / CONFIG).write_bytes(config_bytes(tree))
        card = C.render(name, run.cfg, tree["card"], run.images_seen, run.num_classes)
        (folder / CARD).write_text(card)
        target = package / name
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(folder, target)
    index_file = package / INDEX
    index = json.loads(index_file.read_text()) if index_file.is_file() else {"models": {}}
    index["models"][name] = {
        "summary": recipe["summary"],
        "sha256": {f: sha256_of(target / f) for f in FILES if (target / f).is_file()},
    }
    atomic_write_bytes(index_file, (json.dumps(index, indent=2) + "\n").encode())
    size = sum((target / f).stat().st_size for f in FILES if (target / f).is_file())
    print(f"packed {target} ({size / 1e6:.2f} MB): {tree['card']['metrics']}")
    return target
