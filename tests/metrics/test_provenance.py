"""metrics/provenance.py: the cache folder of the feature networks and the SHA-256 digests every
metric protocol records."""

import hashlib

import torch

from ganforge.metrics.provenance import cache_dir, sha256_file, sha256_state_dict


def test_the_cache_is_the_data_readers_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GANFORGE_CACHE", str(tmp_path / "c"))
    assert cache_dir() == tmp_path / "c"


def test_sha256_file_reads_in_chunks_and_matches_hashlib(tmp_path):
    data = bytes(range(256)) * 5000  # more than one 1 MiB chunk
    (tmp_path / "w.bin").write_bytes(data)
    assert sha256_file(tmp_path / "w.bin") == hashlib.sha256(data).hexdigest()


def test_the_state_dict_digest_is_the_documented_byte_stream():
    state = {"b": torch.tensor([1.0, 2.0]), "a": torch.arange(6, dtype=torch.int16).view(2, 3)}
    h = hashlib.sha256()
    for name in ("a", "b"):  # sorted names
        t = state[name]
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}\n".encode())
        h.update(t.numpy().tobytes())
    assert sha256_state_dict(state) == h.hexdigest()


def test_the_digest_sees_names_dtypes_shapes_and_values_but_not_order_or_layout():
    a = torch.arange(6, dtype=torch.float32).view(2, 3)
    base = sha256_state_dict({"w": a, "v": torch.zeros(1)})
    assert sha256_state_dict({"v": torch.zeros(1), "w": a}) == base  # insertion order
    assert sha256_state_dict({"w": a.t().contiguous().t(), "v": torch.zeros(1)}) == base  # strides
    assert sha256_state_dict({"w": a.detach().requires_grad_(), "v": torch.zeros(1)}) == base
    others = [
        {"x": a, "v": torch.zeros(1)},  # a name
        {"w": a.double(), "v": torch.zeros(1)},  # a dtype
        {"w": a.view(3, 2), "v": torch.zeros(1)},  # a shape, same bytes
        {"w": a + 1, "v": torch.zeros(1)},  # a value
    ]
    assert len({sha256_state_dict(s) for s in others} | {base}) == 5
