"""The standard image-to-image data sets: where they are published, what we can verify, where we
look for them.

- CycleGAN's unpaired sets (Zhu et al. 2017), zips served at
  http://efrosgans.eecs.berkeley.edu/cyclegan/datasets/ (the address the authors' download script
  uses). Their SHA-256 and sizes are the ones TensorFlow Datasets pins in
  ``url_checksums/cycle_gan.txt`` for the same files at the authors' former address
  (people.eecs.berkeley.edu/~taesung_park/CycleGAN/datasets/). They are downloaded automatically
  and verified; a changed file stops with a checksum error rather than training on it.
- pix2pix's paired sets (Isola et al. 2017), tarballs at
  http://efrosgans.eecs.berkeley.edu/pix2pix/datasets/. We found no published checksum or size for
  them, and could not download them to record one, so ganforge does not fetch them by itself: the
  error says which URL to download and where to put the archive (or its extracted folder). An
  archive placed there by hand is extracted and used, with a note in the data report that it was
  not verified.

Everything lives under ``<cache>/i2i/``: ``<name>.zip`` / ``<name>.tar.gz`` and the extracted
``<name>/`` folder. Extraction is safe (no absolute paths, no ``..``, no links out) and atomic:
``archives.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ganforge.data.files.archives import extract_tar, extract_zip
from ganforge.data.files.download import fetch
from ganforge.errors import GanforgeError

PIX2PIX_BASE = "http://efrosgans.eecs.berkeley.edu/pix2pix/datasets/"
CYCLEGAN_BASE = "http://efrosgans.eecs.berkeley.edu/cyclegan/datasets/"


@dataclass(frozen=True)
class StandardSet:
    name: str
    kind: str  # "paired" (pix2pix) | "unpaired" (CycleGAN)
    archive: str
    sha256: str | None = None
    n_bytes: int | None = None

    @property
    def url(self) -> str:
        return (PIX2PIX_BASE if self.kind == "paired" else CYCLEGAN_BASE) + self.archive


_CYCLEGAN = {
    # name: (bytes, sha256) from tensorflow/datasets url_checksums/cycle_gan.txt
    "apple2orange": (78456409, "845a191e9af8926408ea597001cd03a452e3300a1f44a79fe329b3d59f6e3eb8"),
    "cezanne2photo": (
        279885071,
        "3a6c10ca21f9485862f1cbd707744b9dc258954a04631271d23a3605eeb63cff",
    ),
    "cityscapes": (279601602, "d2f6910fd056c1ee9873777ae838e7ac4a2c833598ae62a04188e5ab2f4ea036"),
    "facades": (35135868, "9a31ebf3a31b9b5cd195dd5bf62e9308e00cb94604d1019e3889ac84248695c0"),
    "horse2zebra": (116867962, "a74d9d392eecca9966b51287a76ca126af473d9de4f3e8fc0e9cda08fa1730a1"),
    "iphone2dslr_flower": (
        339964458,
        "8fcb5e374d631b107e1d961b8c4cd0a186aa2a4ff3e279923f4c426128de7113",
    ),
    "maps": (1476754427, "639534f69dbf9f36bef8d6292a7698006361221f83f0285d7c9ca78afe6e8a9e"),
    "monet2photo": (305231073, "88f91b00fc228f97c9411fbf1880ec1d119c98f1722e4cfcfaa2fb35fac05b04"),
    "summer2winter_yosemite": (
        132640856,
        "167fe1726807a9d22bd106b4a6c0bd7953b688af924ac1bf967439c4961e49f9",
    ),
    "ukiyoe2photo": (292946532, "02a2a2fb5ecf425ca1bf86aca7304377da64a2a1d3b86df54eb65e4068bf3b08"),
    "vangogh2photo": (
        306590349,
        "362c3473e70be0944bda08d49d660eafdc2854df55d697835b8186d1d79caaff",
    ),
}
UNPAIRED_SETS = {
    name: StandardSet(name, "unpaired", f"{name}.zip", sha, size)
    for name, (size, sha) in _CYCLEGAN.items()
}
PAIRED_SETS = {
    name: StandardSet(name, "paired", f"{name}.tar.gz")
    for name in ("facades", "cityscapes", "maps", "edges2shoes", "edges2handbags", "night2day")
}


def locate_set(ds: StandardSet, cache: Path, allow_download: bool) -> tuple[Path, list[str]]:
    """The extracted folder of ``ds`` (fetching and extracting it when needed), and notes."""
    root = Path(cache) / "i2i"
    folder, archive = root / ds.name, root / ds.archive
    if folder.is_dir():
        return folder, []
    # No mkdir here: a failed look-up (offline, or a pix2pix set not placed yet) must leave the
    # cache untouched. ``fetch`` creates the folder when it downloads; an archive found on disk
    # means it exists.
    notes: list[str] = []
    if ds.sha256 is not None:
        fetch(ds.url, ds.sha256, archive, allow_download=allow_download)
    elif archive.is_file():
        notes.append(
            f"{archive} was extracted without verification: pix2pix publishes no checksum for it"
        )
    else:
        raise GanforgeError(
            f"the pix2pix data set {ds.name} is not in {root}, and ganforge does not download it "
            f"itself (no published checksum to verify it against): download {ds.url} and save it "
            f"as {archive} (or extract it so that {folder}/train/ exists), or point "
            f"data.source=paired:PATH at a copy"
        )
    if ds.archive.endswith(".zip"):
        extract_zip(archive, ds.name, folder)
    else:
        extract_tar(archive, ds.name, folder)
    return folder, notes
