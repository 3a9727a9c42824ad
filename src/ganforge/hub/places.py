"""Places a trained model is opened from besides a run folder, all read-only.

    pretrained:NAME            a model shipped in the package (hub/pretrained.py)
    hf:USER/NAME[@REVISION]    a model repository on the Hugging Face Hub (hub/remote.py)
    FOLDER                     a model folder on disk: config.json + model.safetensors
                               (what `ganforge export --format hub` writes, hub/folder.py)

``runs.load_run`` asks ``open_place`` first; None means "a run folder or checkpoint": the run
loader's own business.
"""

from __future__ import annotations

from pathlib import Path

from ganforge.errors import GanforgeError
from ganforge.hub import pretrained, remote
from ganforge.hub.folder import ModelFolder, is_model_folder, pickles_in, read_model_folder

PRETRAINED = "pretrained:"


def is_place(run: str | Path) -> bool:
    """Whether ``run`` names a model that is not a run folder (its writes must go elsewhere)."""
    text = str(run)
    return text.startswith((PRETRAINED, remote.PREFIX)) or is_model_folder(run)


def open_place(run: str | Path) -> ModelFolder | None:
    """The model folder ``run`` names, read and checked; None for a run folder or checkpoint."""
    text = str(run)
    if text.startswith(PRETRAINED):
        name = text.removeprefix(PRETRAINED).strip()
        return pretrained.open_pretrained(name)
    if text.startswith(remote.PREFIX):
        return remote.open_hub(text)
    path = Path(run)
    if is_model_folder(path):
        return read_model_folder(path)
    if path.is_dir() and not (path / "config.yaml").is_file() and pickles_in(path):
        raise GanforgeError(
            f"{run} holds pickled weights ({', '.join(pickles_in(path)[:3])}): ganforge reads "
            "safetensors only, never pickles (loading one runs its code)"
        )
    return None
