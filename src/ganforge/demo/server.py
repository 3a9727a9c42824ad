"""The demo's web server: the Python standard library's ``ThreadingHTTPServer`` on 127.0.0.1.

Why not Gradio, the ecosystem's usual demo toolkit: it installs about forty packages (FastAPI,
uvicorn, pandas, ...) for what here is one page and two JSON endpoints; it takes seconds to import
where this starts in well under one; and its page loads scripts and fonts from the network, where
this one is self-contained (it works offline, and nothing leaves 127.0.0.1). So the demo needs no
extra at all. The routes:

    GET  /             the page (page.html: one self-contained HTML file, its own scripts)
    GET  /api/forms    {"title": ..., "forms": [...]}: the model's uses as forms (forms.py)
    POST /api/call     {"form": id, "values": {...}} -> {"image": data URL, "caption": ...}

Errors are JSON ``{"error": one line}`` with status 400 (bad values or uploads: the page shows the
line), 403, 404, 405, 411, 413 (a body over ``MAX_BODY_BYTES``), 415 or 500 (a bug: the line names
the exception, the traceback goes to the terminal, never to the page).

Listening on 127.0.0.1 keeps other machines out, not other web pages open in the same browser. So
a request must name this server in its ``Host`` header (``127.0.0.1:PORT`` or ``localhost:PORT``:
a page of another site that rebinds its DNS name to 127.0.0.1 still sends its own name, 403), and
a call must be ``Content-Type: application/json``, which a page of another origin cannot send
without asking first (a CORS preflight, which this server never grants: 415 for the simple
content types a form may send).
"""

from __future__ import annotations

import errno
import json
import sys
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any

from ganforge.demo.app import Demo
from ganforge.demo.uploads import MAX_UPLOAD_BYTES
from ganforge.errors import GanforgeError

HOST = "127.0.0.1"
"""The only address the demo listens on: the page is for this machine."""
DEFAULT_PORT = 7860
"""Gradio's default port, so a user's habits carry over."""
MAX_BODY_BYTES = 3 * MAX_UPLOAD_BYTES
"""Largest request: an image and a mask at the upload limit, base64-encoded (4/3 each)."""


def page_html() -> bytes:
    """The page, as shipped in the package (demo/page.html)."""
    return resources.files("ganforge.demo").joinpath("page.html").read_bytes()


class _Handler(BaseHTTPRequestHandler):
    server: DemoServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (the base's name)
        if self.server.verbose:
            super().log_message(format, *args)

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, obj: dict[str, Any]) -> None:
        self._send(status, json.dumps(obj).encode(), "application/json")

    def _error(self, status: int, message: str) -> None:
        self._json(status, {"error": " ".join(message.splitlines())})

    def _foreign(self) -> bool:
        """Refuse (403) a request whose Host is not this server (DNS rebinding)."""
        port = self.server.port
        if self.headers.get("Host", "") in (f"{HOST}:{port}", f"localhost:{port}"):
            return False
        self._error(403, f"the demo answers requests for {HOST}:{port} only")
        return True

    def do_GET(self) -> None:  # noqa: N802  (http.server's name)
        if self._foreign():
            return
        route = self.path.split("?", 1)[0]
        if route in ("/", "/index.html"):
            self._send(200, self.server.page, "text/html; charset=utf-8")
        elif route == "/api/forms":
            self._json(200, {"title": self.server.demo.title, "forms": self.server.demo.forms()})
        elif route == "/api/call":
            self._error(405, "POST a JSON request to /api/call")
        else:
            self._error(404, f"no page {route}: the demo is at /")

    def do_POST(self) -> None:  # noqa: N802
        route = self.path.split("?", 1)[0]
        if self._foreign():
            return
        if route != "/api/call":
            self._error(404 if route != "/api/forms" else 405, f"nothing to POST to at {route}")
            return
        if self.headers.get_content_type() != "application/json":
            self.close_connection = True  # its body is never read
            self._error(415, "POST the call as Content-Type: application/json")
            return
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self._error(411, "the request has no Content-Length")
            return
        if int(length) > MAX_BODY_BYTES:
            self.close_connection = True  # its body is never read
            self._error(
                413,
                f"the request is over {MAX_BODY_BYTES // 2**20} MB: uploads are limited to "
                f"{MAX_UPLOAD_BYTES // 2**20} MB each",
            )
            return
        try:
            request = json.loads(self.rfile.read(int(length)))
            if not isinstance(request, dict):
                raise GanforgeError("the request must be a JSON object {form, values}")
            result = self.server.demo.call(request.get("form"), request.get("values", {}))
        except (json.JSONDecodeError, UnicodeDecodeError):
            self._error(400, "the request is not JSON")
        except GanforgeError as e:
            self._error(400, str(e))
        except Exception as e:  # a bug: the terminal gets the traceback, the page one line
            traceback.print_exc(file=sys.stderr)
            self._error(500, f"internal error ({type(e).__name__}: {e}); see the terminal")
        else:
            self._json(200, result)


class DemoServer(ThreadingHTTPServer):
    """A threading HTTP server for one ``Demo``, bound to 127.0.0.1."""

    daemon_threads = True  # Ctrl-C never waits for a slow request

    def __init__(
        self, port: int = DEFAULT_PORT, demo: Demo | None = None, verbose: bool = False
    ) -> None:
        # The demo may come after the port is bound (``ganforge demo`` binds before it loads the
        # model, so a taken port is said at once); requests are served only once it is set.
        self.demo: Demo = demo  # type: ignore[assignment]
        self.verbose = verbose
        self.page = page_html()
        try:
            super().__init__((HOST, port), _Handler)
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise GanforgeError(
                    f"port {port} on {HOST} is taken (another demo or program listens there): "
                    "pick another with --port N, or --port 0 for a free one"
                ) from None
            if e.errno == errno.EACCES:
                raise GanforgeError(
                    f"port {port} needs privileges: use --port 1024 or above (--port 0: a free one)"
                ) from None
            raise

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"
