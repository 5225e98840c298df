#!/usr/bin/env python3
"""The peer of bench/cuda_epoch.cpp: the same networks in PyTorch on the same GPU, eager and
torch.compile, one epoch of Fashion-MNIST after a warm-up epoch (batch 64 and 1024), and the
4 x 4096 MLP at batch 1024. Adam (lr 1e-3, eps 1e-7 as Keras), softmax cross-entropy on logits.
The data sits on the GPU for PyTorch (its best case); tg::Cuda uploads each batch from the host.

usage: peer_pytorch.py FASHION_MNIST_DIR [CSV]   (tests/gpu/run.sh runs it)
"""
import gzip
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))


def cnn():  # NHWC in tensorguard; NCHW here, as PyTorch prefers
    return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(32 * 13 * 13, 10))


def wide():
    layers, width = [], 4096
    for _ in range(4):
        layers += [nn.Linear(width, width), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(width, 10))


def epoch(model, step, x, y, batch):
    order = torch.randperm(x.shape[0], device=x.device)
    for first in range(0, x.shape[0] - batch + 1, batch):
        chosen = order[first:first + batch]
        step(x[chosen], y[chosen])
    torch.cuda.synchronize()


def time_model(name, make, x, y, batch, compiled, rows, test=None):
    torch.manual_seed(42)
    model = make().cuda()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()

    def step(xb, yb):
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        return loss

    if compiled:
        step = torch.compile(step)
    epoch(model, step, x, y, batch)  # warm-up (and compilation)
    start = time.perf_counter()
    epoch(model, step, x, y, batch)
    seconds = time.perf_counter() - start
    accuracy = float("nan")
    if test is not None:
        with torch.no_grad():
            accuracy = 100 * (model(test[0]).argmax(1) == test[1]).float().mean().item()
    label = f"{name} ({'torch.compile' if compiled else 'eager'})"
    print(f"{label:34s} batch {batch:5d}  {seconds:8.3f} s  {x.shape[0] / seconds:10.0f} samples/s"
          f"  test accuracy % {accuracy:.2f}", flush=True)
    rows.append((label, batch, seconds, x.shape[0] / seconds, accuracy))


def main():
    root = sys.argv[1]
    torch.backends.cuda.matmul.allow_tf32 = False  # strict FP32, as tg::Cuda by default
    torch.backends.cudnn.allow_tf32 = False
    print(f"PyTorch {torch.__version__} on {torch.cuda.get_device_name(0)}", flush=True)
    load = lambda name: idx(os.path.join(root, name))
    x = torch.tensor(load("train-images-idx3-ubyte.gz"), dtype=torch.float32).cuda() / 255
    y = torch.tensor(load("train-labels-idx1-ubyte.gz"), dtype=torch.int64).cuda()
    tx = torch.tensor(load("t10k-images-idx3-ubyte.gz"), dtype=torch.float32).cuda() / 255
    ty = torch.tensor(load("t10k-labels-idx1-ubyte.gz"), dtype=torch.int64).cuda()
    x, tx = x.unsqueeze(1), tx.unsqueeze(1)
    rows = []
    for batch in (64, 1024):
        time_model("MLP 784-128-10", mlp, x, y, batch, False, rows, (tx, ty))
        time_model("CNN (README)", cnn, x, y, batch, False, rows, (tx, ty))
    for make, name in ((mlp, "MLP 784-128-10"), (cnn, "CNN (README)")):  # compiling takes a while
        time_model(name, make, x, y, 64, True, rows, (tx, ty))
    g = torch.Generator(device="cuda").manual_seed(5)
    wx = torch.rand(8 * 1024, 4096, device="cuda", generator=g)
    wy = torch.randint(0, 10, (8 * 1024,), device="cuda", generator=g)
    time_model("MLP 4x4096", wide, wx, wy, 1024, False, rows)
    if len(sys.argv) > 2:
        with open(sys.argv[2], "w") as out:
            out.write("what,batch,seconds,samples_per_second,test_accuracy\n")
            for r in rows:
                out.write(",".join(str(v) for v in r) + "\n")


if __name__ == "__main__":
    main()
