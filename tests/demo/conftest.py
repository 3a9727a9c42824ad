"""A demo server on a free port, in a thread, for the tests of this folder."""

from __future__ import annotations

import threading

import pytest

from ganforge.demo.app import Demo
from ganforge.demo.server import DemoServer


@pytest.fixture
def serve():
    """``serve(demo) -> url``: a DemoServer on a free port in a thread, shut down after."""
    servers: list[DemoServer] = []

    def start(demo: Demo) -> str:
        server = DemoServer(0, demo)
        # A short poll: shutdown() waits for it (0.5 s by default, per server).
        threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
