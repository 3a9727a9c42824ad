"""``ganforge upscale``: super-resolve image files with an SRGAN run, tile by tile.

    ganforge upscale runs/<run> small.png --out big.png
    ganforge upscale runs/<run> photos/ --out photos-x4/ --tile 128

Any size: images larger than ``--tile`` LR pixels are processed in tiles that read a margin of
context around them, so the seams do not show (and the result matches one whole-image pass up to
rounding). Outputs keep the input's name as PNG; one input may go to a .png path.
"""

from __future__ import annotations

import argparse

from ganforge.commands.registry import register_command
from ganforge.commands.translate import add_io_options, process

DEFAULT_TILE = 256  # inference.DEFAULT_TILE, repeated so that `ganforge --help` imports no torch


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "upscale",
        help="super-resolve images with an SRGAN run (tiled for large images)",
        description="Upscale images. Example: `ganforge upscale runs/<run> small.png --out big.png`.",
    )
    add_io_options(p)
    p.add_argument(
        "--tile",
        type=int,
        default=DEFAULT_TILE,
        help=f"tile side in input pixels for large images (default {DEFAULT_TILE})",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    return process(args, direction=None, tile=args.tile)


register_command("upscale", register, uses=("upscale",))
