#!/usr/bin/python3
"""Independent PyTorch implementation of SFP / PSFP for the faithfulness check
of the workbench's port (`npm run bench:prune-torch`).

Written from /work/shared/reference/methods.md sections 1-2, not from the
reference code: CIFAR-style ResNet-20 (option-A shortcuts) for 1-channel input,
SGD Nesterov momentum 0.9, weight decay 5e-4 on every parameter, per-step cosine
learning rate from 0.1 to 0, batch 64 with the last partial batch dropped.
SFP: before training, after every epoch and after the last, in every conv
(stem included), the floor(N*rate) output filters of smallest L2 norm get zero
WEIGHTS (BN, gradients and momentum untouched). PSFP: the rate follows
P_i = a*exp(-k*i) + b through P_0 = 0, P_(M/8) = 3P/4, P_M = P.
Accuracy is reported after the final mask (BN running statistics as trained)
and after re-estimating BN statistics as the plain average of the batch mean /
unbiased variance over the first 8 training batches (as the workbench does).

Data: the exact subsets the workbench runner chose, exported by
src-main/prune/bench/torch-check.ts (<dir>/subset-seed<S>.json + .bin: uint8
training pixels, then test pixels, labels in the JSON). No random
augmentation on either side; normalisation (x/255 - 0.286)/0.353.

Prints one JSON line per run on stdout.
Mechanism probes: --bn-eps (default 1e-5), --freeze-zeroed (zero the gradient
and momentum of zeroed filters until the next mask: no regrowth).
"""
import argparse
import json
import math
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin, cout, stride, eps):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout, eps=eps, momentum=0.1)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout, eps=eps, momentum=0.1)
        self.stride = stride
        self.pad = cout - cin  # option A: zero channels, half on each side

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        s = x
        if self.stride != 1 or self.pad:
            s = x[:, :, ::self.stride, ::self.stride]
            s = F.pad(s, (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))
        return F.relu(y + s)


class ResNet20(nn.Module):
    def __init__(self, channels=1, classes=10, eps=1e-5):
        super().__init__()
        self.conv = nn.Conv2d(channels, 16, 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(16, eps=eps, momentum=0.1)
        blocks, cin = [], 16
        for stage, cout in enumerate([16, 32, 64]):
            for b in range(3):
                blocks.append(Block(cin, cout, 2 if stage > 0 and b == 0 else 1, eps))
                cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(64, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
            elif isinstance(m, nn.Linear):
                bound = 1 / math.sqrt(m.in_features)
                nn.init.uniform_(m.weight, -bound, bound)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = F.relu(self.bn(self.conv(x)))
        x = self.blocks(x)
        return self.fc(x.mean((2, 3)))


def psfp_curve(target, epochs, d=1 / 8):
    """a, k of P_i = a*exp(-k*i) - a with P_(d*M) = 3P/4 and P_M = P (k by bisection)."""
    if target == 0:
        return 0.0, 0.0
    # ratio(k) = (1 - exp(-k*d*M)) / (1 - exp(-k*M)) must equal 3/4; it falls from 1 (k -> inf) to d (k -> 0).
    lo, hi = 1e-9, 1e3
    for _ in range(300):
        k = (lo + hi) / 2
        ratio = (1 - math.exp(-k * d * epochs)) / (1 - math.exp(-k * epochs))
        if ratio < 0.75:
            lo = k
        else:
            hi = k
    k = (lo + hi) / 2
    a = -target / (1 - math.exp(-k * epochs))
    return a, k


def rate_at(method, target, epochs, i):
    if method == 'sfp':
        return target
    if i >= epochs:
        return target
    a, k = psfp_curve(target, epochs)
    return min(target, max(0.0, a * math.exp(-k * i) - a))


def convs(model):
    return [m for m in model.modules() if isinstance(m, nn.Conv2d)]


@torch.no_grad()
def apply_mask(model, rate):
    """Zero the floor(N*rate) smallest-L2 filters of every conv; returns (zeroed set, norms before masking)."""
    zeroed, norms, masks = set(), [], []
    for li, conv in enumerate(convs(model)):
        w = conv.weight  # [out, in, kh, kw]
        n = w.norm(p=2, dim=(1, 2, 3))
        norms.extend(n.tolist())
        count = int(math.floor(w.shape[0] * rate))
        keep = torch.ones(w.shape[0])
        if count > 0:
            idx = torch.argsort(n, stable=True)[:count]
            keep[idx] = 0
            w.mul_(keep.view(-1, 1, 1, 1))
            zeroed.update((li, int(j)) for j in idx)
        masks.append(keep)
    return zeroed, norms, masks


@torch.no_grad()
def accuracy(model, x, y, batch=500):
    model.eval()
    hits = 0
    for s in range(0, len(x), batch):
        hits += (model(x[s:s + batch]).argmax(1) == y[s:s + batch]).sum().item()
    return hits / len(x)


@torch.no_grad()
def accuracy_bn_reestimated(model, xtr, xte, yte, batch, batches=8):
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    saved = [(m.running_mean.clone(), m.running_var.clone()) for m in bns]
    sums = [[torch.zeros_like(m.running_mean), torch.zeros_like(m.running_var)] for m in bns]
    captured = {}
    hooks = [m.register_forward_hook(lambda mod, inp, out, i=i: captured.__setitem__(i, inp[0])) for i, m in enumerate(bns)]
    model.train()
    n = min(batches, max(1, len(xtr) // batch))
    for b in range(n):
        model(xtr[b * batch:(b + 1) * batch])
        for i in range(len(bns)):
            t = captured[i]
            sums[i][0] += t.mean((0, 2, 3))
            sums[i][1] += t.var((0, 2, 3), unbiased=True)
    for h in hooks:
        h.remove()
    for m, (mu, var) in zip(bns, sums):
        m.running_mean.copy_(mu / n)
        m.running_var.copy_(var / n)
    acc = accuracy(model, xte, yte)
    for m, (mu, var) in zip(bns, saved):
        m.running_mean.copy_(mu)
        m.running_var.copy_(var)
    return acc


def load(dirname, seed):
    meta = json.load(open(f'{dirname}/subset-seed{seed}.json'))
    raw = np.fromfile(f'{dirname}/subset-seed{seed}.bin', dtype=np.uint8)
    h, w, c = meta['height'], meta['width'], meta['channels']
    per = h * w * c
    ntr, nte = meta['trainCount'], meta['testCount']
    assert raw.size == (ntr + nte) * per, 'subset .bin size does not match its .json'
    x = torch.from_numpy(raw.astype(np.float32)).view(-1, h, w, c).permute(0, 3, 1, 2)  # [N,H,W,C] -> [N,C,H,W]
    x = (x / 255 - meta['mean']) / meta['std']
    return x[:ntr].contiguous(), torch.tensor(meta['trainLabels']), x[ntr:].contiguous(), torch.tensor(meta['testLabels'])


def run(args, method, seed):
    xtr, ytr, xte, yte = load(args.data, seed)
    torch.manual_seed(seed)
    model = ResNet20(xtr.shape[1], 10, args.bn_eps)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, nesterov=True, weight_decay=5e-4)
    steps = len(xtr) // args.batch
    pruned = method != 'baseline'
    history, kept, zeroed_counts, max_norm, median_norm, per_epoch = [], [], [], [], [], []
    masks = None

    def mask(i):
        nonlocal masks
        z, norms, masks = apply_mask(model, rate_at(method, args.rate, args.epochs, i))
        if history:
            kept.append(len(z & history[-1]))
        history.append(z)
        zeroed_counts.append(len(z))
        s = sorted(norms)
        max_norm.append(round(s[-1], 3))
        median_norm.append(round(s[len(s) // 2], 3))

    if pruned:
        mask(0)
    g = torch.Generator().manual_seed(seed * 1000 + 7)
    started = time.time()
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(xtr), generator=g)
        for step in range(steps):
            lr = 0.5 * args.lr * (1 + math.cos(math.pi * (epoch + step / steps) / args.epochs))
            for group in opt.param_groups:
                group['lr'] = lr
            idx = order[step * args.batch:(step + 1) * args.batch]
            loss = F.cross_entropy(model(xtr[idx]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            if pruned and args.freeze_zeroed:
                for conv, keep in zip(convs(model), masks):
                    conv.weight.grad.mul_(keep.view(-1, 1, 1, 1))
                    buf = opt.state.get(conv.weight, {}).get('momentum_buffer')
                    if buf is not None:
                        buf.mul_(keep.view(-1, 1, 1, 1))
            opt.step()
            if pruned and args.freeze_zeroed:
                with torch.no_grad():  # weight decay alone keeps zeros at zero; this only guards rounding
                    for conv, keep in zip(convs(model), masks):
                        conv.weight.mul_(keep.view(-1, 1, 1, 1))
        if pruned:
            mask(epoch + 1)
        if args.per_epoch:
            per_epoch.append(round(accuracy(model, xte, yte), 4))
    out = {'side': 'pytorch', 'method': method, 'seed': seed, 'bnEps': args.bn_eps, 'freezeZeroed': args.freeze_zeroed,
           'testAcc': accuracy(model, xte, yte),
           'testAccBn': accuracy_bn_reestimated(model, xtr, xte, yte, args.batch) if pruned else None}
    if pruned:
        out.update(kept=kept, zeroed=zeroed_counts, maxNorm=max_norm, medianNorm=median_norm)
    if per_epoch:
        out['perEpochTestAcc'] = per_epoch
    out['seconds'] = round(time.time() - started)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data', default='/tmp/wb-prune-torch-check', help='folder with subset-seed<S>.json/.bin')
    p.add_argument('--seeds', default='1,2')
    p.add_argument('--methods', default='baseline,sfp,psfp')
    p.add_argument('--epochs', type=int, default=4)
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--lr', type=float, default=0.1)
    p.add_argument('--rate', type=float, default=0.3)
    p.add_argument('--bn-eps', type=float, default=1e-5)
    p.add_argument('--freeze-zeroed', action='store_true')
    p.add_argument('--per-epoch', action='store_true', help='also test accuracy after each epoch\'s mask')
    p.add_argument('--threads', type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    for seed in [int(s) for s in args.seeds.split(',')]:
        for method in args.methods.split(','):
            print(json.dumps(run(args, method, seed)), flush=True)


if __name__ == '__main__':
    main()
