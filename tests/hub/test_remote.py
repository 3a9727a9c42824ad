"""``hf:USER/NAME[@REV]``: the real huggingface_hub download path against a fake Hub on
127.0.0.1 (the endpoints snapshot_download calls), then the cache, offline."""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.explore import sample as S
from ganforge.hub.remote import parse
from ganforge.runs import from_pretrained, load_run

hub = pytest.importorskip("huggingface_hub", reason="the hub extra: pip install 'ganforge[hub]'")
from huggingface_hub import constants  # noqa: E402

COMMIT = "c0ffee" + "0" * 34


class FakeHub:
    """The Hub endpoints snapshot_download uses: revision info, the file tree, file downloads."""

    def __init__(self, repos: dict[str, Path]) -> None:
        self.repos = {r: {p.name: p.read_bytes() for p in f.iterdir()} for r, f in repos.items()}
        self.requests: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def reply(self, code: int, body: bytes, headers: dict, head: bool) -> None:
                self.send_response(code)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head:
                    self.wfile.write(body)

            def route(self, head: bool) -> None:
                path = unquote(urlparse(self.path).path)
                fake.requests.append(path)
                for repo, files in fake.repos.items():
                    info = f"/api/models/{repo}/revision/"
                    if path.startswith(info) and path[len(info) :] in ("main", COMMIT):
                        body = {
                            "id": repo,
                            "sha": COMMIT,
                            "siblings": [{"rfilename": f} for f in files],
                        }
                        return self.reply(200, json.dumps(body).encode(), {}, head)
                    if path.startswith(f"/api/models/{repo}/tree/{COMMIT}"):
                        tree = [
                            {"type": "file", "path": f, "size": len(d), "oid": _sha1(d)}
                            for f, d in files.items()
                        ]
                        return self.reply(200, json.dumps(tree).encode(), {}, head)
                    name = path.removeprefix(f"/{repo}/resolve/{COMMIT}/")
                    if name in files:
                        headers = {"X-Repo-Commit": COMMIT, "ETag": f'"{_sha1(files[name])}"'}
                        return self.reply(200, files[name], headers, head)
                headers = {"X-Error-Code": "RepoNotFound"}
                return self.reply(404, b'{"error": "Repository not found"}', headers, head)

            def do_GET(self) -> None:
                self.route(head=False)

            def do_HEAD(self) -> None:
                self.route(head=True)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"


def _sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


@pytest.fixture
def fake_hub(hub_folder, tmp_path, monkeypatch):
    pickles = tmp_path / "pickles"
    pickles.mkdir()
    (pickles / "pytorch_model.bin").write_bytes(b"\x80\x04 never fetched")
    server = FakeHub({"user/tiny-gan": hub_folder, "user/old-gan": pickles})
    # What HF_ENDPOINT sets when huggingface_hub is imported: the API and the file URLs.
    monkeypatch.setattr(constants, "ENDPOINT", server.url)
    template = server.url + "/{repo_id}/resolve/{revision}/{filename}"
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE", template)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.delenv("GANFORGE_OFFLINE")  # this server is on 127.0.0.1
    monkeypatch.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    yield server
    server.server.shutdown()


def test_downloads_caches_and_then_loads_offline_from_the_cache(fake_hub, hub_folder, monkeypatch):
    online = load_run("hf:user/tiny-gan")  # the default branch, resolved by the server
    assert online.read_only and online.place == "hf:user/tiny-gan"
    assert "models--user--tiny-gan" in str(online.run_dir)  # huggingface_hub's cache layout
    assert any(r.endswith("/model.safetensors") for r in fake_hub.requests)
    assert not any("pickle" in r or r.endswith(".bin") for r in fake_hub.requests)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    asked = len(fake_hub.requests)
    offline = from_pretrained("hf:user/tiny-gan")  # main, resolved through the cached ref
    pinned = from_pretrained(f"hf:user/tiny-gan@{COMMIT}")  # a commit: its cached snapshot
    assert len(fake_hub.requests) == asked  # nothing was asked of the server
    assert offline.run_dir == pinned.run_dir == online.run_dir
    want = S.draw(load_run(hub_folder).G, 4, seed=0).images
    assert torch.equal(S.draw(offline.G, 4, seed=0).images, want)


@pytest.mark.parametrize("switch", ["HF_HUB_OFFLINE", "GANFORGE_OFFLINE"])
def test_offline_with_nothing_cached_names_repo_revision_and_cache(fake_hub, monkeypatch, switch):
    if switch == "HF_HUB_OFFLINE":
        monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    else:
        monkeypatch.setenv("GANFORGE_OFFLINE", "1")
    with pytest.raises(GanforgeError) as e:
        load_run("hf:user/tiny-gan@v1")
    message = str(e.value)
    assert "hf:user/tiny-gan@v1 is not in the Hugging Face cache" in message
    assert constants.HF_HUB_CACHE in message and "--revision v1" in message


def test_unknown_repo_and_a_repo_of_pickles_are_refused(fake_hub):
    with pytest.raises(GanforgeError, match="no such model repository"):
        load_run("hf:user/nothing-here")
    with pytest.raises(GanforgeError, match="holds no model.safetensors.*never pickles"):
        load_run("hf:user/old-gan")


@pytest.mark.parametrize(
    "text", ["hf:", "hf:noslash", "hf:a/b/c", "hf:../x", "hf:u/n@..", "hf:u/n@"]
)
def test_malformed_names_are_refused(text):
    if text == "hf:u/n@":
        assert parse(text) == ("u/n", None)  # an empty revision is the default branch
        return
    with pytest.raises(GanforgeError, match="Hub model|not a revision"):
        parse(text)
