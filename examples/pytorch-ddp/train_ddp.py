"""Step 2 (PyTorch): train the simdnet model further with DistributedDataParallel.

One process per machine (or several per machine), all started with the same command and
the torch.distributed env:// variables:

    MASTER_ADDR=10.0.0.1 MASTER_PORT=29500 WORLD_SIZE=4 RANK=<0..3> \
        python3 train_ddp.py --model model.safetensors --data data.csv --out model-ddp.safetensors

(torchrun sets the same variables: `torchrun --nnodes=2 --nproc_per_node=2 ... train_ddp.py ...`.)
Each rank trains on its share of the rows (rank, rank + WORLD_SIZE, ...); DDP averages the
gradients over the gloo backend (CPU, TCP) after every batch, so every rank holds the same
weights, and rank 0 writes them back as safetensors with simdnet's architecture in the metadata.

Needs only torch (and numpy, which torch brings). The safetensors format is read and written
here in a few lines; `safetensors.torch.load_file` / `save_file(..., metadata=...)` do the same.
"""
import argparse
import json
import os
import struct

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

ACTIVATIONS = {"linear": torch.nn.Identity, "relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid,
               "tanh": torch.nn.Tanh, "softplus": torch.nn.Softplus}


def load_safetensors(path):
    """-> (dict name -> float32 tensor, metadata). F32 only: what simdnet writes."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    metadata = header.pop("__metadata__", {})
    body = data[8 + n :]
    tensors = {}
    for name, info in header.items():
        assert info["dtype"] == "F32", f"{name}: {info['dtype']} (this reader takes F32)"
        begin, end = info["data_offsets"]
        tensors[name] = torch.frombuffer(bytearray(body[begin:end]), dtype=torch.float32).reshape(info["shape"])
    return tensors, metadata


def save_safetensors(tensors, path, metadata):
    header, chunks, offset = {"__metadata__": metadata}, [], 0
    for name, tensor in tensors.items():
        raw = tensor.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the data section starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def build(spec):
    """nn.Sequential(Linear, act, Linear, act, ..., Linear): Linear l at index 2l, as simdnet names them.
    A softmax output is left out: the model returns logits and trains with CrossEntropyLoss."""
    modules, inputs = [], spec["inputSize"]
    for l, layer in enumerate(spec["layers"]):
        modules.append(torch.nn.Linear(inputs, layer["units"]))
        last = l == len(spec["layers"]) - 1
        if not (last and layer["activation"] == "softmax"):
            modules.append(ACTIVATIONS[layer["activation"]]())
        inputs = layer["units"]
    return torch.nn.Sequential(*modules)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, help="safetensors from simdnet (toSafetensors)")
    parser.add_argument("--data", required=True, help="CSV: features, then an integer class label")
    parser.add_argument("--out", required=True, help="where rank 0 writes the trained safetensors")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64, help="rows per rank per step")
    parser.add_argument("--lr", type=float, default=0.005)
    args = parser.parse_args()

    dist.init_process_group("gloo", init_method="env://")  # MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(0)
    torch.set_num_threads(1)

    tensors, metadata = load_safetensors(args.model)
    spec = json.loads(metadata["simdnet.spec"])
    if spec["layers"][-1]["activation"] != "softmax":
        raise SystemExit("this example trains classifiers (softmax output); change the loss for others")
    model = build(spec)
    model.load_state_dict(tensors)
    ddp = DistributedDataParallel(model)  # rank 0's weights are broadcast; gradients are all-reduced

    table = np.loadtxt(args.data, delimiter=",", skiprows=1, dtype=np.float64)
    shard = table[rank::world]  # this rank's rows; on a cluster, each machine reads its own files
    x = torch.tensor(shard[:, :-1], dtype=torch.float32)
    y = torch.tensor(shard[:, -1], dtype=torch.int64)
    optimizer = torch.optim.Adam(ddp.parameters(), lr=args.lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    # Every rank must take the same number of steps (each step is one all-reduce).
    steps = len(table) // world // args.batch_size
    for epoch in range(args.epochs):
        order = torch.randperm(len(x), generator=torch.Generator().manual_seed(epoch * world + rank))
        total = torch.zeros(1)
        for step in range(steps):
            rows = order[step * args.batch_size : (step + 1) * args.batch_size]
            optimizer.zero_grad()
            loss = loss_fn(ddp(x[rows]), y[rows])
            loss.backward()
            optimizer.step()
            total += loss.detach()
        dist.all_reduce(total)  # the mean loss over every rank's batches
        if rank == 0:
            print(f"epoch {epoch + 1}: loss {total.item() / (steps * world):.4f} ({world} ranks)", flush=True)

    if rank == 0:
        save_safetensors(model.state_dict(), args.out, {**metadata, "trainedWith": f"DistributedDataParallel, {world} ranks"})
        print(f"rank 0 wrote {args.out}", flush=True)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
