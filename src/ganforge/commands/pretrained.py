"""``ganforge pretrained``: the models shipped in the package, with their scores.

    ganforge pretrained                       # name, what it is, images seen, FD-FMNIST, size
    ganforge pretrained dcgan-fashion-mnist   # its model card (README.md)

Each is opened as ``pretrained:NAME`` wherever a run is taken (``ganforge sample
pretrained:dcgan-fashion-mnist --n 64 --grid grid.png``; ``ganforge train --init pretrained:NAME``
fine-tunes it); ``ganforge/hub/pretrained.py`` holds the registry.
"""

from __future__ import annotations

import argparse

from ganforge.commands.registry import register_command


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "pretrained",
        help="list the shipped pretrained models and their scores (use: pretrained:NAME)",
        description="List the models shipped with ganforge. Example: `ganforge sample "
        "pretrained:dcgan-fashion-mnist --n 64 --grid grid.png`.",
    )
    p.add_argument("name", nargs="?", help="print this model's card")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Deferred: the registry reads safetensors-adjacent modules that load torch.
    from ganforge.hub.folder import CARD
    from ganforge.hub.pretrained import card_of, lookup, shipped, verify

    if args.name:
        print(verify(lookup(args.name)).joinpath(CARD).read_text(), end="")
        return 0
    models = shipped()
    if not models:
        print("no pretrained models in this install")
        return 0
    print(f"{'name':24s} {'images':>9s} {'FD-FMNIST':>9s} {'protocol':12s} {'MB':>5s}  what")
    for name, model in models.items():
        card = card_of(name)
        fd = (card.get("metrics") or {}).get("fd_fmnist")
        protocol = (card.get("protocol") or {}).get("hash", "")
        size = sum(f.stat().st_size for f in model.path.iterdir() if f.is_file()) / 1e6
        fd_text = f"{fd:9.2f}" if isinstance(fd, (int, float)) else f"{'-':>9s}"
        images = card.get("images_seen", 0)
        print(f"{name:24s} {images:9,d} {fd_text} {protocol:12s} {size:5.1f}  {model.summary}")
    print("use: ganforge sample pretrained:NAME --n 64 --grid grid.png")
    return 0


register_command("pretrained", register)
