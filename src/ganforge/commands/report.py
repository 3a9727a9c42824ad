"""``ganforge report``: one self-contained HTML page for a run, written to ``RUN/report.html``.

    ganforge report runs/<run>
    ganforge report runs/<run> --out somewhere/page.html

Config, loss and evaluation curves, training grids behind a slider, final samples, an
interpolation strip, timing and the data report; images are embedded, nothing is fetched.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ganforge.commands.generator_options import done
from ganforge.commands.registry import register_command
from ganforge.errors import GanforgeError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="write a self-contained HTML report of a run (RUN/report.html)",
        description="Write a run's report page. Example: `ganforge report runs/<run>`.",
    )
    p.add_argument("run", metavar="RUN", help="run folder (or pretrained:NAME, hf:USER/NAME)")
    p.add_argument(
        "--out",
        help="where to write the page (default RUN/report.html; for a read-only model "
        "./report-NAME.html)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the samples shown (default 0)")
    p.add_argument("--device", default="cpu", help="device for the generator (default cpu)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Deferred: it loads torch, and `ganforge --help` / `ganforge presets` stay instant.
    from ganforge.report.html import write_report
    from ganforge.runtime.device import resolve_device

    run_dir = Path(args.run)
    if run_dir.is_file():
        raise GanforgeError(f"{run_dir} is a file: give the run folder it belongs to")
    if args.out and Path(args.out).suffix.lower() not in (".html", ".htm"):
        raise GanforgeError(f"--out {args.out}: the name must end in .html")
    device = str(resolve_device(args.device))
    out = write_report(run_dir, args.out, device=device, seed=args.seed)
    done(f"wrote {out}")
    return 0


register_command("report", register)
