"""Two image domains from ``data.source``: the readers of the translation tasks.

    kind      data.source
    paired    paired:PATH | edges2fashion (demo) | facades, maps, edges2shoes, ... (pix2pix sets)
    unpaired  unpaired:PATH | sneakers2boots (demo) | horse2zebra, monet2photo, ... (CycleGAN sets)

(Super-resolution reads any single-domain source: ``data/sr.py``.) ``i2i.direction=BtoA`` swaps
the two domains here, once, so the tasks always map A to B.
"""

from __future__ import annotations

from ganforge.config import Config
from ganforge.data.domains import TwoDomainData
from ganforge.data.download import cache_dir
from ganforge.data.i2i_demos import DEMOS, load_demo
from ganforge.data.i2i_sets import PAIRED_SETS, UNPAIRED_SETS, locate_set
from ganforge.data.paired import load_paired
from ganforge.data.unpaired import load_unpaired
from ganforge.errors import GanforgeError


def _path(source: str, prefix: str) -> str:
    path = source.removeprefix(prefix).strip()
    if not path:
        raise GanforgeError(f"data.source={prefix} needs a path, e.g. --data {prefix}/data/facades")
    return path


def load_two_domains(cfg: Config, paired: bool) -> TwoDomainData:
    """Paired (A[i] belongs with B[i]) or unpaired domains, with ``report`` saying where they
    came from; ``cfg.model.task`` only names the task in the report and messages."""
    task, d, i = cfg.model.task, cfg.data, cfg.i2i
    prefix = "paired:" if paired else "unpaired:"
    demo = "edges2fashion" if paired else "sneakers2boots"
    sets = PAIRED_SETS if paired else UNPAIRED_SETS
    size = i.load_size or d.resolution
    src = d.source.strip()
    notes: list[str] = []
    if src.startswith(prefix) or src in sets:
        if src in sets:
            root, notes = locate_set(sets[src], cache_dir(d), d.download)
        else:
            root = _path(src, prefix)
        reader = load_paired if paired else load_unpaired
        data = reader(
            root, d.split, size, d.channels, d.background, i.fit, d.max_images, d.max_pixels
        )
    elif src in DEMOS:
        if src != demo:
            raise GanforgeError(
                f"data.source={src} is the {'CycleGAN' if paired else 'pix2pix'} demo"
            )
        data = load_demo(src, cfg)
    else:
        other = "folder:" if src.startswith("folder:") else None
        hint = f" (a plain folder has no pairs: use {prefix}PATH)" if other else ""
        raise GanforgeError(
            f"model.task={task} reads {'paired' if paired else 'unpaired'} data: data.source="
            f"{prefix}PATH, {demo} (offline demo) or one of {', '.join(sets)}; got {src!r}{hint}"
        )
    data.report.setdefault("warnings", [])
    data.report["warnings"] += notes
    if i.direction == "BtoA":
        data = TwoDomainData(
            data.sources,
            None,
            0,
            data.name,
            report=data.report,
            sources=data.images,
            paired=data.paired,
        )
    data.report.update(task=task, direction=i.direction, source=src)
    data.report.update(
        n_a=len(data.sources), n_b=len(data.images), shape=list(data.images.shape[1:])
    )
    return data
