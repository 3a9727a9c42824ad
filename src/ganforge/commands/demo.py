"""``ganforge demo``: try a trained model in the browser, on a page served from 127.0.0.1.

    ganforge demo runs/<run>                 # http://127.0.0.1:7860/
    ganforge demo runs/<run> --port 0 --open # a free port, opened in the browser

The page has one form per use the run declares (``ganforge/demo``): a sample grid with seed and
truncation, a class picker, a latent walk between two samples, image uploads for translate and
upscale, an image and a mask (uploaded or drawn) for inpaint, a caption for text, the nearest
gallery images of an upload for encode. The port is bound before the model is loaded, so a taken
port is one line at once; Ctrl-C stops the server.
"""

from __future__ import annotations

import argparse

from ganforge.commands.generator_options import add_run_options
from ganforge.commands.registry import register_command
from ganforge.errors import GanforgeError

DEFAULT_PORT = 7860  # demo.server.DEFAULT_PORT, repeated: `ganforge --help` imports no torch
DEFAULT_GALLERY = 2000  # demo.neighbours.DEFAULT_SIZE, repeated for the same reason


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="try a run in the browser: a local page with a form per use of the model",
        description="Serve a page on 127.0.0.1 with a form for each use of RUN's model (sample, "
        "class, walk, translate, upscale, inpaint, text, encode). Example: "
        "`ganforge demo runs/<run> --port 0 --open`.",
    )
    add_run_options(p)
    p.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port on 127.0.0.1 (default {DEFAULT_PORT}; 0: a free one, printed)",
    )
    p.add_argument("--open", action="store_true", help="open the page in the web browser")
    p.add_argument(
        "--direction", choices=["AtoB", "BtoA"], help="a CycleGAN run's direction (default AtoB)"
    )
    p.add_argument(
        "--gallery",
        type=int,
        default=DEFAULT_GALLERY,
        help=f"images of the run's data searched by the encode form (default {DEFAULT_GALLERY})",
    )
    p.add_argument("--verbose", action="store_true", help="log every request on stderr")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Deferred: they load torch, and `ganforge --help` / `ganforge presets` stay instant.
    from ganforge.demo.app import Demo
    from ganforge.demo.neighbours import Gallery
    from ganforge.demo.server import DemoServer
    from ganforge.runs import load_run
    from ganforge.runtime.device import resolve_device

    if not 0 <= args.port <= 65535:
        raise GanforgeError(
            f"--port {args.port} is not a port: use 1024-65535, or 0 for a free one"
        )
    if args.gallery < 1:
        raise GanforgeError(f"--gallery {args.gallery} must be at least 1")
    server = DemoServer(args.port, verbose=args.verbose)  # a taken port fails here, at once
    try:
        options = {"direction": args.direction} if args.direction else {}
        device = resolve_device(args.device)
        loaded = load_run(args.run, args.checkpoint, ema=not args.no_ema, device=device, **options)
        task = loaded.cfg.model.task
        gallery = None
        if loaded.model.can("encode"):  # the run's own data, read on the first search
            gallery = Gallery(lambda: loaded.task.load_data(loaded.cfg), args.gallery)
        server.demo = Demo(loaded.model, f"ganforge demo: {loaded.run_dir.name} ({task})", gallery)
        uses = ", ".join(loaded.model.uses) or "none"
        print(f"serving {server.url} ({task}: {uses}); Ctrl-C stops it", flush=True)
        if args.open:
            import webbrowser  # deferred: only --open needs it

            webbrowser.open(server.url)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("stopped", flush=True)
    finally:
        server.server_close()
    return 0


register_command("demo", register, uses=())
