"""A minimal reader and writer of the safetensors format (https://github.com/huggingface/safetensors).

Why our own: the twin must run on Debian's python3-torch alone. The `safetensors` package is not in Debian bookworm
and PyPI is not reachable from this project's machines, while the format is small: an 8-byte little-endian header
length N, N bytes of UTF-8 JSON ({"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets"}}), then the
raw little-endian tensor bytes. `load_file` / `save_file` take and give what `safetensors.torch` does, so either can
be used; files written here load with the real package and with `bigbigan convert`.
"""
import ctypes
import json
import os
import sys
from collections import OrderedDict

import torch

_DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
    "BOOL": torch.bool,
}
_NAMES = {v: k for k, v in _DTYPES.items()}
_MAX_HEADER = 100_000_000


def _require_little_endian():
    if sys.byteorder != "little":
        raise RuntimeError("safetensors: this reader/writer needs a little-endian host")


def read(path):
    """(tensors, metadata) of a safetensors file: an ordered name -> CPU tensor map and the metadata dict. The
    tensors are views of one buffer holding the file (copies only where a tensor's offset is misaligned)."""
    _require_little_endian()
    with open(path, "rb") as f:
        data = bytearray(f.read())
    if len(data) < 8:
        raise ValueError(f"{path}: not a safetensors file (shorter than 8 bytes)")
    n = int.from_bytes(data[:8], "little")
    if n > _MAX_HEADER or 8 + n > len(data):
        raise ValueError(f"{path}: not a safetensors file (header length {n})")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: unreadable safetensors header ({e})") from None
    metadata = header.pop("__metadata__", None) or {}
    start = 8 + n
    tensors = OrderedDict()
    for name, e in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        dtype = _DTYPES.get(e["dtype"])
        if dtype is None:
            raise ValueError(f"{path}: tensor {name} has unsupported dtype {e['dtype']}")
        shape = list(e["shape"])
        begin, end = e["data_offsets"]
        count = 1
        for s in shape:
            count *= s
        size = torch.tensor([], dtype=dtype).element_size()
        if end - begin != count * size or start + end > len(data):
            raise ValueError(f"{path}: tensor {name}: offsets {begin}..{end} do not fit {e['dtype']} {shape}")
        if count == 0:
            t = torch.empty(shape, dtype=dtype)
        elif (start + begin) % size == 0:
            # a view of the file's bytes (no copy: a large checkpoint needs its size in memory once, not twice)
            t = torch.frombuffer(data, dtype=dtype, count=count, offset=start + begin).reshape(shape)
        else:                                       # misaligned for its dtype: copy into memory of its own
            t = torch.frombuffer(data, dtype=torch.uint8, count=end - begin, offset=start + begin).clone() \
                .view(dtype).reshape(shape)
        tensors[name] = t
    return tensors, dict(metadata)


def load_file(path):
    """The tensors of a safetensors file, like ``safetensors.torch.load_file``."""
    return read(path)[0]


def read_metadata(path):
    """The ``__metadata__`` dict of a safetensors file (empty when absent), without reading the tensors."""
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        if n > _MAX_HEADER:
            raise ValueError(f"{path}: not a safetensors file (header length {n})")
        return dict(json.loads(f.read(n).decode("utf-8")).get("__metadata__") or {})


def save_file(tensors, path, metadata=None):
    """Writes ``tensors`` (name -> tensor, any device/layout) and a str -> str ``metadata`` dict to ``path``,
    atomically (temporary file, fsync, rename), like ``safetensors.torch.save_file``."""
    _require_little_endian()
    header = OrderedDict()
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs, offset = [], 0
    for name, t in tensors.items():
        if t.dtype not in _NAMES:
            raise ValueError(f"safetensors: tensor {name} has unsupported dtype {t.dtype}")
        c = t.detach().to("cpu").contiguous()
        nbytes = c.numel() * c.element_size()
        header[name] = {"dtype": _NAMES[c.dtype], "shape": list(c.shape), "data_offsets": [offset, offset + nbytes]}
        blobs.append((c, nbytes))
        offset += nbytes
    js = json.dumps(header, separators=(",", ":")).encode("utf-8")
    js += b" " * ((8 - (8 + len(js)) % 8) % 8)             # data starts 8-byte aligned
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            f.write(len(js).to_bytes(8, "little"))
            f.write(js)
            for c, nbytes in blobs:
                if nbytes:
                    f.write(ctypes.string_at(c.data_ptr(), nbytes))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
