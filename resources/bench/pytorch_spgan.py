"""PyTorch CPU baseline for one SPGAN training step (`npm run bench:engine`'s
spgan-step row, and the step comparison of BENCHMARKS.md).

Same networks and losses as src-main/spgan (CycleGAN ResNet generators with
InstanceNorm, PatchGAN, Siamese net, LSGAN + cycle + identity + contrastive),
written independently here only to time a step on the same machine:

    /usr/bin/python3 resources/bench/pytorch_spgan.py [H W width blocks batch steps [warmup batch1_steps]]

Prints ONE JSON object on stdout: msPerStep and, like pytorch_resnet.py,
train_images_per_sec (images of each domain per second of training steps),
infer_images_per_sec (generator G translating a batch), infer_batch1_images_per_sec
and peak_memory_mib (training's peak).
"""
import json
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

H, W, WIDTH, BLOCKS, BATCH, STEPS, WARMUP, BATCH1_STEPS = ([int(a) for a in sys.argv[1:9]] + [64, 32, 16, 2, 4, 5, 1, 0][len(sys.argv[1:9]):])
THREADS = int(__import__("os").environ.get("TORCH_THREADS", "2"))
torch.set_num_threads(THREADS)
torch.manual_seed(0)


def block(c):
    return nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3), nn.InstanceNorm2d(c), nn.ReLU(True),
                         nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3), nn.InstanceNorm2d(c))


class Res(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.b = block(c)

    def forward(self, x):
        return x + self.b(x)


def generator(w, n):
    layers = [nn.ReflectionPad2d(3), nn.Conv2d(3, w, 7), nn.InstanceNorm2d(w), nn.ReLU(True),
              nn.Conv2d(w, 2 * w, 3, 2, 1), nn.InstanceNorm2d(2 * w), nn.ReLU(True),
              nn.Conv2d(2 * w, 4 * w, 3, 2, 1), nn.InstanceNorm2d(4 * w), nn.ReLU(True)]
    layers += [Res(4 * w) for _ in range(n)]
    layers += [nn.ConvTranspose2d(4 * w, 2 * w, 3, 2, 1, 1), nn.InstanceNorm2d(2 * w), nn.ReLU(True),
               nn.ConvTranspose2d(2 * w, w, 3, 2, 1, 1), nn.InstanceNorm2d(w), nn.ReLU(True),
               nn.ReflectionPad2d(3), nn.Conv2d(w, 3, 7), nn.Tanh()]
    return nn.Sequential(*layers)


def patchgan(w, n=3):
    layers = [nn.Conv2d(3, w, 4, 2, 1), nn.LeakyReLU(0.2, True)]
    c = w
    for i in range(1, n):
        m = min(2 ** i, 8)
        layers += [nn.Conv2d(c, w * m, 4, 2, 1), nn.InstanceNorm2d(w * m), nn.LeakyReLU(0.2, True)]
        c = w * m
    m = min(2 ** n, 8)
    layers += [nn.Conv2d(c, w * m, 4, 1, 1), nn.InstanceNorm2d(w * m), nn.LeakyReLU(0.2, True), nn.Conv2d(w * m, 1, 4, 1, 1)]
    return nn.Sequential(*layers)


class Siamese(nn.Module):
    def __init__(self, w):
        super().__init__()
        layers, c = [], 3
        for s in range(4):
            # (1, 2) zero padding = TF 'same' for a 4x4 stride-2 conv: small inputs keep one cell
            layers += [nn.ZeroPad2d((1, 2, 1, 2)), nn.Conv2d(c, w * 2 ** s, 4, 2), nn.LeakyReLU(0.2, True), nn.MaxPool2d(2, 2, ceil_mode=True)]
            c = w * 2 ** s
        self.f = nn.Sequential(*layers)
        with torch.no_grad():
            n = self.f(torch.zeros(1, 3, H, W)).numel()
        self.fc = nn.Sequential(nn.Linear(n, 128), nn.LeakyReLU(0.2, True), nn.Dropout(0.5), nn.Linear(128, 64))

    def forward(self, x):
        return F.normalize(self.fc(self.f(x).flatten(1)), dim=1)


G, Fn, DA, DB, S = generator(WIDTH, BLOCKS), generator(WIDTH, BLOCKS), patchgan(WIDTH), patchgan(WIDTH), Siamese(WIDTH)
optG = torch.optim.Adam(list(G.parameters()) + list(Fn.parameters()), 2e-4, betas=(0.5, 0.999))
optD = torch.optim.Adam(list(DA.parameters()) + list(DB.parameters()), 2e-4, betas=(0.5, 0.999))
optS = torch.optim.Adam(S.parameters(), 2e-4, betas=(0.5, 0.999))
mse = lambda s, t: ((s - t) ** 2).mean()
pos = lambda a, b: ((a - b).pow(2).sum(1) + 1e-12).mean()
neg = lambda a, b: F.relu(2 - ((a - b).pow(2).sum(1) + 1e-12).sqrt()).pow(2).mean()
a, b = torch.rand(BATCH, 3, H, W) * 2 - 1, torch.rand(BATCH, 3, H, W) * 2 - 1


def step():
    fb, fa = G(a), Fn(b)
    ea, eb = S(a), S(b)
    lg = mse(DB(fb), 1) + mse(DA(fa), 1) + 10 * ((Fn(fb) - a).abs().mean() + (G(fa) - b).abs().mean())
    lg = lg + 5 * ((G(b) - b).abs().mean() + (Fn(a) - a).abs().mean())
    efb, efa = S(fb), S(fa)
    lg = lg + 2 * (pos(ea, efb) + pos(eb, efa) + 0.5 * (neg(efb, eb) + neg(efa, ea)))
    optG.zero_grad(); lg.backward(); optG.step()
    ls = pos(S(a), S(fb.detach())) + pos(S(b), S(fa.detach())) + neg(S(a), S(b))
    optS.zero_grad(); ls.backward(); optS.step()
    ld = 0.5 * (mse(DA(a), 1) + mse(DA(fa.detach()), 0)) + 0.5 * (mse(DB(b), 1) + mse(DB(fb.detach()), 0))
    optD.zero_grad(); ld.backward(); optD.step()


for _ in range(WARMUP):
    step()
t0 = time.time()
for _ in range(STEPS):
    step()
seconds = time.time() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

G.eval()
with torch.no_grad():
    G(a)
    t0 = time.time()
    for _ in range(STEPS):
        G(a).sum().item()
    infer = BATCH * STEPS / (time.time() - t0)
    batch1 = None
    if BATCH1_STEPS > 0:
        one = a[:1]
        G(one)
        t0 = time.time()
        for _ in range(BATCH1_STEPS):
            G(one).sum().item()
        batch1 = BATCH1_STEPS / (time.time() - t0)

print(json.dumps({
    "framework": f"pytorch {torch.__version__}", "torch": torch.__version__, "threads": THREADS, "size": [H, W], "width": WIDTH,
    "blocks": BLOCKS, "batch": BATCH, "msPerStep": round(seconds / STEPS * 1000),
    "train_images_per_sec": BATCH * STEPS / seconds, "infer_images_per_sec": infer,
    "infer_batch1_images_per_sec": batch1, "peak_memory_mib": peak,
}))
