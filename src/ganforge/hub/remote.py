"""``hf:USER/NAME[@REVISION]``: a model folder on the Hugging Face Hub, downloaded and cached.

``huggingface_hub.snapshot_download`` does the work, as ``diffusers``' ``from_pretrained`` does:
it resolves the revision (a branch, a tag or a commit hash: pinning a commit makes a result
reproducible), downloads only the files of a model folder (hub/folder.py: ``config.json``,
``model.safetensors``, ``README.md``, ``samples.png``; pickles are never fetched) into the Hub's
cache (``HF_HUB_CACHE``, by default ``~/.cache/huggingface/hub``), and with ``HF_HUB_OFFLINE=1``
or no network reads the cache instead. ``HF_ENDPOINT`` points it at another server (the tests
run one on 127.0.0.1). A failure is one line naming the repository, the revision and the cache.
"""

from __future__ import annotations

import re
from pathlib import Path

from ganforge.data.files.download import offline
from ganforge.errors import GanforgeError
from ganforge.hub.folder import FILES, WEIGHTS, ModelFolder, read_model_folder
from ganforge.version import __version__

PREFIX = "hf:"
_REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$")
_REVISION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_./-]{0,199}$")


def parse(text: str) -> tuple[str, str | None]:
    """``hf:USER/NAME[@REVISION]`` -> (repo id, revision or None: the default branch)."""
    body = text.removeprefix(PREFIX).strip()
    repo, _, revision = body.partition("@")
    if not _REPO.match(repo) or ".." in repo:
        raise GanforgeError(
            f"{text!r} is not a Hub model: write hf:USER/NAME or hf:USER/NAME@REVISION "
            "(a branch, tag or commit hash)"
        )
    if revision and (not _REVISION.match(revision) or ".." in revision):
        raise GanforgeError(f"{text!r}: {revision!r} is not a revision (a branch, tag or commit)")
    return repo, revision or None


def cache_folder() -> str:
    """Where the Hub's cache is (``HF_HUB_CACHE`` / ``HF_HOME``), for messages."""
    from huggingface_hub import constants  # deferred with the rest of huggingface_hub

    return str(constants.HF_HUB_CACHE)


def download(repo: str, revision: str | None) -> Path:
    """The local snapshot folder of ``repo`` at ``revision``: downloaded, or from the cache when
    offline. Needs the optional ``huggingface_hub`` (``pip install 'ganforge[hub]'``)."""
    try:
        # Deferred: an optional dependency, and slow to import; only hf: places need it.
        from huggingface_hub import errors, snapshot_download
    except ImportError:
        raise GanforgeError(
            f"hf:{repo} needs huggingface_hub: pip install 'ganforge[hub]'"
        ) from None
    # A partial snapshot in the cache while offline: its own error since huggingface_hub 1.x.
    not_cached = (
        errors.LocalEntryNotFoundError,
        getattr(errors, "IncompleteSnapshotError", errors.LocalEntryNotFoundError),
    )
    at = f"hf:{repo}@{revision or 'main'}"
    try:
        path = snapshot_download(
            repo,
            revision=revision,
            allow_patterns=list(FILES),
            library_name="ganforge",
            library_version=__version__,
            # ganforge's own switch for downloads (data/files/download.py) holds here too.
            local_files_only=offline(),
        )
    except not_cached:
        raise GanforgeError(
            f"{at} is not in the Hugging Face cache ({cache_folder()}) and the Hub cannot be "
            "reached (offline, HF_HUB_OFFLINE=1 or GANFORGE_OFFLINE=1): fetch it once with "
            "network access, e.g. "
            f"`hf download {repo}{f' --revision {revision}' if revision else ''}`, into that cache"
        ) from None
    except errors.RevisionNotFoundError:
        raise GanforgeError(f"{at}: the repository has no revision {revision!r}") from None
    except errors.RepositoryNotFoundError:
        raise GanforgeError(
            f"{at}: no such model repository on the Hub (or it is private or gated: log in with "
            "`hf auth login`)"
        ) from None
    except (errors.EntryNotFoundError, errors.HfHubHTTPError, OSError) as e:
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
        raise GanforgeError(f"{at} could not be downloaded ({first}); try again later") from None
    folder = Path(path)
    if not (folder / WEIGHTS).is_file():
        raise GanforgeError(
            f"{at} holds no {WEIGHTS}: ganforge loads safetensors weights only, never pickles "
            "(pytorch_model.bin, *.pkl); export the model with `ganforge export --format hub`"
        )
    return folder


def open_hub(text: str) -> ModelFolder:
    """``hf:USER/NAME[@REVISION]``: downloaded (or cached), checked and read."""
    repo, revision = parse(text)
    return read_model_folder(download(repo, revision), where=text)
