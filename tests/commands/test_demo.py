"""``ganforge demo``: a real run served by the command, and its one-line refusals."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request

import pytest

from ganforge.cli import main
from ganforge.demo.server import DemoServer
from tiny_demo import decode, post


@pytest.fixture
def taken_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def test_a_taken_port_is_refused_before_the_run_is_opened(taken_port, tmp_path, ganforge_cli):
    # tmp_path is no run at all: the port is checked first, so the user hears of it at once.
    err = ganforge_cli("demo", tmp_path, "--port", taken_port, code=2).err
    assert err == (
        f"ganforge: error: port {taken_port} on 127.0.0.1 is taken (another demo or program "
        "listens there): pick another with --port N, or --port 0 for a free one\n"
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["--port", "70000"], "--port 70000 is not a port: use 1024-65535, or 0 for a free one"),
        (["--port", "0", "--gallery", "0"], "--gallery 0 must be at least 1"),
        (["--port", "0"], "is not a ganforge run folder (no config.yaml)"),
    ],
)
def test_bad_input_is_one_line(args, message, tmp_path, ganforge_cli):
    assert message in ganforge_cli("demo", tmp_path, *args, code=2).err


def test_it_serves_a_run(cgan_run, monkeypatch, capsys):
    # In-process, in a thread (a subprocess would spend ~10 s importing torch): the server the
    # command starts is caught as it starts serving, and shut down by the test.
    started: list[DemoServer] = []
    serve = DemoServer.serve_forever

    def catch(self, poll_interval=0.5):
        started.append(self)
        serve(self, 0.02)

    monkeypatch.setattr(DemoServer, "serve_forever", catch)
    codes: list[int] = []
    thread = threading.Thread(
        target=lambda: codes.append(main(["demo", str(cgan_run), "--port", "0"]))
    )
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert started, capsys.readouterr().err
        url = started[0].url
        out = capsys.readouterr().out
        assert out == f"serving {url} (gan: sample, class); Ctrl-C stops it\n"
        with urllib.request.urlopen(url + "api/forms", timeout=30) as r:
            forms = json.load(r)
        assert forms["title"] == f"ganforge demo: {cgan_run.name} (gan)"
        assert [f["id"] for f in forms["forms"]] == ["sample", "class", "sample-walk"]
        status, reply = post(url + "api/call", {"form": "class", "values": {"seed": 3, "y": 4}})
        assert status == 200 and decode(reply["image"]).shape[:2] == (4 * 66 + 2, 4 * 66 + 2)
        assert reply["caption"] == "samples 0-15 of seed 3, class 4"
    finally:
        if started:
            started[0].shutdown()
        thread.join(30)
    assert codes == [0]
