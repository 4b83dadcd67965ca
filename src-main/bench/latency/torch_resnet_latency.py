"""PyTorch CPU baseline for the latency benchmark (src-main/export/bench/latency-bench.ts).

CIFAR ResNet (He et al. 2016) with the parameter-free option-A shortcut, built
the way the workbench's registry builds it, timed in eval mode with no_grad.
Prints one JSON object: {"torch": version, "threads": n, "results": [...]}.
Usage: /usr/bin/python3 torch_resnet_latency.py DEPTH[,DEPTH...] BATCH WARMUP RUNS THREADS
"""
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.stride = stride
        self.pad = cout - cin

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        s = x
        if self.stride != 1 or self.pad:
            # option A: subsample, zero channels on both sides
            s = F.pad(x[:, :, :: self.stride, :: self.stride], (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))
        return F.relu(y + s)


class CifarResNet(nn.Module):
    def __init__(self, depth, classes=10):
        super().__init__()
        n = (depth - 2) // 6
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        layers, cin = [], 16
        for s, planes in enumerate([16, 32, 64]):
            for b in range(n):
                layers.append(Block(cin, planes, 2 if s > 0 and b == 0 else 1))
                cin = planes
        self.blocks = nn.Sequential(*layers)
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def time_it(model, batch, warmup, runs):
    x = torch.randn(batch, 3, 32, 32)
    with torch.no_grad():
        for _ in range(warmup):
            model(x)
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            model(x)
            times.append((time.perf_counter() - t) * 1000)
    ordered = sorted(times)
    p90 = ordered[max(0, -(-9 * len(ordered) // 10) - 1)]  # nearest rank, as the TF.js side
    return {
        "batch": batch,
        "meanMs": statistics.mean(times),
        "stdMs": statistics.stdev(times) if len(times) > 1 else 0.0,
        "medianMs": statistics.median(times),
        "minMs": ordered[0],
        "p90Ms": p90,
    }


def main():
    depths = [int(d) for d in sys.argv[1].split(",")]
    batch, warmup, runs, threads = (int(v) for v in sys.argv[2:6])
    torch.set_num_threads(threads)
    results = []
    for depth in depths:
        model = CifarResNet(depth).eval()
        for b in sorted({1, batch}):
            results.append({"depth": depth, **time_it(model, b, warmup, runs)})
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "results": results}))


if __name__ == "__main__":
    main()
