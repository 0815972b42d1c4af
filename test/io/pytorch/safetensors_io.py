"""The safetensors format in a few lines, for the tests (Debian has no `safetensors` package).

Layout: u64 LE header length N, N bytes of UTF-8 JSON {name: {dtype, shape, data_offsets}},
"__metadata__": {str: str}} padded with spaces to a multiple of 8, then the raw little-endian
tensor bytes, offsets relative to the start of that data section. Written as the reference
writer writes it; read with the reference reader's checks (offsets tile the data exactly).
"""
import json
import struct

import torch

DTYPES = {
    "F32": (torch.float32, 4),
    "F16": (torch.float16, 2),
    "BF16": (torch.bfloat16, 2),
    "F64": (torch.float64, 8),
    "I64": (torch.int64, 8),
}
NAMES = {dtype: name for name, (dtype, _) in DTYPES.items()}


def save_bytes(tensors, metadata=None):
    """dict name -> tensor (row-major, contiguous) -> the bytes of a .safetensors file."""
    header, chunks, offset = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, tensor in tensors.items():
        tensor = tensor.detach().contiguous().cpu()
        data = tensor.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes() if tensor.numel() else b""
        header[name] = {"dtype": NAMES[tensor.dtype], "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def save_file(tensors, path, metadata=None):
    with open(path, "wb") as f:
        f.write(save_bytes(tensors, metadata))


def load_file(path):
    """-> (dict name -> tensor, metadata dict)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    metadata = header.pop("__metadata__", {})
    body = data[8 + n :]
    tensors, covered = {}, 0
    for name, info in sorted(header.items(), key=lambda item: item[1]["data_offsets"]):
        begin, end = info["data_offsets"]
        assert begin == covered, f"{name}: offsets do not tile the data"
        dtype, size = DTYPES[info["dtype"]]
        raw = bytearray(body[begin:end])
        flat = torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)
        tensors[name] = flat.reshape(info["shape"]).clone()
        covered = end
    assert covered == len(body), "tensors do not cover the data section"
    return tensors, metadata
