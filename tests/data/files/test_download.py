"""fetch(): checksummed downloads from a local HTTP server, and the messages when it cannot work."""

from __future__ import annotations

import hashlib
import http.server
import threading
from pathlib import Path

import pytest

from ganforge.config import DataConfig
from ganforge.data.files.download import cache_dir, fetch, parse_digest, verify
from ganforge.errors import GanforgeError


@pytest.fixture(autouse=True)
def _downloads_allowed(monkeypatch):
    # Downloads here come from a server on 127.0.0.1 (or an unreachable address) only.
    monkeypatch.delenv("GANFORGE_OFFLINE", raising=False)


PAYLOAD = b"ganforge test payload\n" * 1000


class _Handler(http.server.SimpleHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's naming)
        type(self).requests.append(self.path)
        if self.path == "/dropped":
            # Promise more than we send, then hang up: a connection lost mid-download.
            self.send_response(200)
            self.send_header("Content-Length", str(len(PAYLOAD)))
            self.end_headers()
            self.wfile.write(PAYLOAD[:100])
            self.wfile.flush()
            self.close_connection = True
            return
        super().do_GET()

    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "served"
    root.mkdir()
    (root / "data.bin").write_bytes(PAYLOAD)
    _Handler.requests = []

    def handler(*a, **k):
        return _Handler(*a, directory=str(root), **k)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


SHA = hashlib.sha256(PAYLOAD).hexdigest()


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_good_checksum(server, tmp_path):
    dest = tmp_path / "cache" / "sub" / "data.bin"
    assert fetch(f"{server}/data.bin", SHA, dest) == dest
    assert dest.read_bytes() == PAYLOAD
    assert _leftovers(dest.parent) == ["data.bin"]  # no temporary file left


def test_md5_checksum(server, tmp_path):
    dest = tmp_path / "data.bin"
    fetch(f"{server}/data.bin", "md5:" + hashlib.md5(PAYLOAD).hexdigest(), dest)
    assert dest.read_bytes() == PAYLOAD


def test_bad_checksum_leaves_nothing(server, tmp_path):
    folder = tmp_path / "cache"
    with pytest.raises(GanforgeError, match="nothing was kept") as e:
        fetch(f"{server}/data.bin", "0" * 64, folder / "data.bin")
    assert "data.bin" in str(e.value) and "\n" not in str(e.value)
    assert _leftovers(folder) == []


def test_dropped_connection_leaves_nothing(server, tmp_path):
    folder = tmp_path / "cache"
    with pytest.raises(GanforgeError, match="could not download") as e:
        fetch(f"{server}/dropped", SHA, folder / "data.bin", timeout=5)
    assert str(folder) in str(e.value)
    assert _leftovers(folder) == []


def test_http_404(server, tmp_path):
    with pytest.raises(GanforgeError, match="404"):
        fetch(f"{server}/missing.bin", SHA, tmp_path / "c" / "missing.bin")
    assert _leftovers(tmp_path / "c") == []


def test_unreachable_url_names_file_url_and_folder(tmp_path):
    url = "http://127.0.0.1:1/train-images-idx3-ubyte.gz"
    folder = tmp_path / "fashion-mnist"
    with pytest.raises(GanforgeError) as e:
        fetch(url, SHA, folder / "train-images-idx3-ubyte.gz", timeout=5)
    msg = str(e.value)
    assert "train-images-idx3-ubyte.gz" in msg and url in msg and str(folder) in msg
    assert "\n" not in msg
    assert _leftovers(folder) == []


def test_download_off_says_what_to_do(tmp_path):
    url = "http://example.invalid/x.gz"
    with pytest.raises(GanforgeError, match="downloads are off") as e:
        fetch(url, SHA, tmp_path / "x.gz", allow_download=False)
    assert url in str(e.value) and str(tmp_path) in str(e.value)


def test_existing_file_is_verified_not_downloaded(server, tmp_path):
    dest = tmp_path / "data.bin"
    dest.write_bytes(PAYLOAD)
    fetch(f"{server}/data.bin", SHA, dest)
    assert _Handler.requests == []
    # Works offline too, since nothing needs fetching.
    fetch("http://127.0.0.1:1/data.bin", SHA, dest, allow_download=False)


def test_existing_file_with_wrong_content_is_an_error(server, tmp_path):
    dest = tmp_path / "data.bin"
    dest.write_bytes(b"stale")
    with pytest.raises(GanforgeError, match="exists but its sha256"):
        fetch(f"{server}/data.bin", SHA, dest)
    assert dest.read_bytes() == b"stale" and _Handler.requests == []


def test_parse_digest():
    assert parse_digest("A" * 64) == ("sha256", "a" * 64)
    assert parse_digest("sha256:" + "b" * 64) == ("sha256", "b" * 64)
    assert parse_digest("md5:" + "c" * 32) == ("md5", "c" * 32)
    for bad in ("md5:" + "c" * 64, "abc", "sha1:" + "0" * 40, "z" * 64):
        with pytest.raises(ValueError):
            parse_digest(bad)


def test_verify(tmp_path):
    p = tmp_path / "f"
    p.write_bytes(PAYLOAD)
    assert verify(p, SHA) == (True, SHA)
    assert verify(p, "0" * 64)[0] is False


def test_cache_dir_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("GANFORGE_CACHE", str(tmp_path / "env"))
    assert cache_dir(DataConfig(cache_dir=str(tmp_path / "cfg"))) == tmp_path / "cfg"
    assert cache_dir(DataConfig()) == tmp_path / "env"
    monkeypatch.delenv("GANFORGE_CACHE")
    assert cache_dir(DataConfig()) == Path("~/.cache/ganforge").expanduser()
