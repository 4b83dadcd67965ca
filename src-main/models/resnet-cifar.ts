/**
 * CIFAR-style ResNets (He et al. 2016, sec. 4.2): depth 6n+2, a 3x3 stem with
 * 16 filters, three stages of n basic blocks (16/32/64 filters, stride 2 at
 * the start of stages 2 and 3), global average pooling and a classifier.
 * Shortcut 'A' is the parameter-free one of the SFP reference (stride-2
 * subsample, zero channels padded on both sides); 'B' a 1x1 conv + BN.
 */
import { GraphBuilder, type Tensorish } from '../nn/builder.ts';
import type { GraphSpec } from '../nn/graph.ts';
import { erasedBlock, type ResolvedOptions } from './options.ts';

export function buildCifarResNet(arch: string, depth: number, o: ResolvedOptions, options: Record<string, unknown>): GraphSpec {
  if ((depth - 2) % 6 !== 0) throw new Error(`CIFAR ResNet depth must be 6n+2, got ${depth}.`);
  const n = (depth - 2) / 6;
  const g = new GraphBuilder(o.channels);
  const shuffleAt = new Set(o.patchShuffle?.at ?? []);
  const maybeShuffle = (where: string, x: Tensorish): Tensorish =>
    o.patchShuffle && shuffleAt.has(where) ? g.patchShuffle(`${where}/patchShuffle`, x, o.patchShuffle.patch, o.patchShuffle.probability) : x;
  const bn = (name: string, x: Tensorish): Tensorish => g.batchNorm(name, x, { frozen: o.frozenBatchNorm });
  const widths = [16, 32, 64].map((c) => Math.max(1, Math.round(c * o.widthMultiplier)));

  let x = maybeShuffle('input', g.input());
  x = g.conv('stem/conv', x, widths[0]!, { kernel: 3, role: 'stem' });
  x = g.relu('stem/relu', bn('stem/bn', x));
  x = maybeShuffle('stem', x);
  let block = 0;
  widths.forEach((planes, s) => {
    for (let b = 0; b < n; b++) {
      const stride = s > 0 && b === 0 ? 2 : 1;
      const p = `stage${s + 1}/block${b + 1}`;
      let y = g.conv(`${p}/conv1`, x, planes, { kernel: 3, stride, role: 'block-conv' });
      y = g.relu(`${p}/relu1`, bn(`${p}/bn1`, y));
      y = g.conv(`${p}/conv2`, y, planes, { kernel: 3, role: 'block-last' });
      y = bn(`${p}/bn2`, y);
      let shortcut = x;
      if (stride !== 1 || x.channels !== planes) {
        shortcut =
          o.shortcut === 'A'
            ? g.shortcutA(`${p}/shortcut`, x, stride, planes)
            : bn(`${p}/downsample/bn`, g.conv(`${p}/downsample/conv`, x, planes, { kernel: 1, stride, role: 'downsample' }));
      }
      x = g.add(`${p}/add`, y, shortcut);
      if (!erasedBlock(block, o.eraseRelu)) x = g.relu(`${p}/relu2`, x);
      block++;
    }
    x = maybeShuffle(`stage${s + 1}`, x);
  });
  const features = g.globalAvgPool('pool', x);
  const logits = g.dense('fc', features, o.numClasses);
  return g.build({ arch, options, height: o.height, width: o.width, numClasses: o.numClasses, logits, features });
}
