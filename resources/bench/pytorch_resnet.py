#!/usr/bin/python3
"""PyTorch CPU baseline for `npm run bench:engine` (and the engine.bench job).

Trains and runs inference for one benchmark model with SGD momentum: a
CIFAR-shaped ResNet (32x32x3, option-A shortcuts as in He et al. 2016 and our
registry's resnet20/56), or the IDE re-ID baseline (torchvision's ImageNet
ResNet-50 on 128x64 crops, 751 classes, as the registry's resnet50), and prints
ONE JSON object on stdout:
  {"torch": version, "threads": n, "model": name, "batch": b,
   "train_images_per_sec": x, "infer_images_per_sec": y,
   "infer_batch1_images_per_sec": z or null, "peak_memory_mib": m}
Run with Debian's /usr/bin/python3 (python3-torch); one model per process so
the peak memory is that model's.
"""
import argparse
import json
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.stride = stride
        self.pad = planes - in_planes

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x
        if self.stride != 1 or self.pad:
            # Option A: subsample, zero channels padded on both sides.
            shortcut = F.pad(x[:, :, :: self.stride, :: self.stride], (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))
        return F.relu(out + shortcut)


class CifarResNet(nn.Module):
    def __init__(self, depth, num_classes=10):
        super().__init__()
        n = (depth - 2) // 6
        self.conv = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        blocks, in_planes = [], 16
        for s, planes in enumerate([16, 32, 64]):
            for b in range(n):
                blocks.append(BasicBlock(in_planes, planes, 2 if s > 0 and b == 0 else 1))
                in_planes = planes
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        x = F.relu(self.bn(self.conv(x)))
        x = self.blocks(x)
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True, choices=["resnet20", "resnet56", "ide-resnet50"])
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--train-steps", type=int, default=5)
    p.add_argument("--infer-steps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--batch1-steps", type=int, default=0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    if a.model == "ide-resnet50":
        import torchvision

        model, shape, classes = torchvision.models.resnet50(num_classes=751), (3, 128, 64), 751
    else:
        model, shape, classes = CifarResNet(int(a.model[len("resnet"):])), (3, 32, 32), 10
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = torch.randn(a.batch, *shape)
    x1 = torch.randn(1, *shape)
    y = torch.randint(0, classes, (a.batch,))

    def train_step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    model.train()
    for _ in range(a.warmup):
        train_step()
    t = time.perf_counter()
    for _ in range(a.train_steps):
        train_step()
    train = a.batch * a.train_steps / (time.perf_counter() - t)
    # Training's peak, as on the workbench side (ru_maxrss is KiB on Linux).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    model.eval()
    with torch.no_grad():
        model(x)
        t = time.perf_counter()
        for _ in range(a.infer_steps):
            model(x).sum().item()
        infer = a.batch * a.infer_steps / (time.perf_counter() - t)
        batch1 = None
        if a.batch1_steps > 0:
            model(x1)
            t = time.perf_counter()
            for _ in range(a.batch1_steps):
                model(x1).sum().item()
            batch1 = a.batch1_steps / (time.perf_counter() - t)

    json.dump(
        {
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
            "model": a.model,
            "batch": a.batch,
            "train_images_per_sec": train,
            "infer_images_per_sec": infer,
            "infer_batch1_images_per_sec": batch1,
            "peak_memory_mib": peak,
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
