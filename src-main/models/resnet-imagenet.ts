/**
 * ImageNet-style ResNets (torchvision layout, stride on the 3x3 conv of
 * bottlenecks): 7x7/2 stem, 3x3/2 max pool, four stages (64/128/256/512
 * planes), basic blocks for 18/34, bottlenecks (x4 expansion) for 50,
 * 1x1 conv + BN downsample shortcuts, global average pooling, classifier.
 * The pooled features are exposed as an output (re-ID IDE models use them).
 */
import { GraphBuilder, type Tensorish } from '../nn/builder.ts';
import type { GraphSpec } from '../nn/graph.ts';
import { erasedBlock, type ResolvedOptions } from './options.ts';

export function buildImageNetResNet(
  arch: string,
  layers: [number, number, number, number],
  bottleneck: boolean,
  o: ResolvedOptions,
  options: Record<string, unknown>,
): GraphSpec {
  const g = new GraphBuilder(o.channels);
  const shuffleAt = new Set(o.patchShuffle?.at ?? []);
  const maybeShuffle = (where: string, x: Tensorish): Tensorish =>
    o.patchShuffle && shuffleAt.has(where) ? g.patchShuffle(`${where}/patchShuffle`, x, o.patchShuffle.patch, o.patchShuffle.probability) : x;
  const bn = (name: string, x: Tensorish): Tensorish => g.batchNorm(name, x, { frozen: o.frozenBatchNorm });
  const expansion = bottleneck ? 4 : 1;
  const widths = [64, 128, 256, 512].map((c) => Math.max(1, Math.round(c * o.widthMultiplier)));

  let x = maybeShuffle('input', g.input());
  x = g.conv('stem/conv', x, widths[0]!, { kernel: 7, stride: 2, padding: [[3, 3], [3, 3]], role: 'stem' });
  x = g.relu('stem/relu', bn('stem/bn', x));
  x = g.maxPool('stem/pool', x, 3, 2, 'same');
  x = maybeShuffle('stem', x);
  let block = 0;
  widths.forEach((planes, s) => {
    for (let b = 0; b < layers[s]!; b++) {
      const stride = s > 0 && b === 0 ? 2 : 1;
      const p = `stage${s + 1}/block${b + 1}`;
      let y: Tensorish;
      if (bottleneck) {
        y = g.relu(`${p}/relu1`, bn(`${p}/bn1`, g.conv(`${p}/conv1`, x, planes, { kernel: 1, role: 'block-conv' })));
        y = g.relu(`${p}/relu2`, bn(`${p}/bn2`, g.conv(`${p}/conv2`, y, planes, { kernel: 3, stride, role: 'block-conv' })));
        y = bn(`${p}/bn3`, g.conv(`${p}/conv3`, y, planes * expansion, { kernel: 1, role: 'block-last' }));
      } else {
        y = g.relu(`${p}/relu1`, bn(`${p}/bn1`, g.conv(`${p}/conv1`, x, planes, { kernel: 3, stride, role: 'block-conv' })));
        y = bn(`${p}/bn2`, g.conv(`${p}/conv2`, y, planes, { kernel: 3, role: 'block-last' }));
      }
      let shortcut = x;
      if (stride !== 1 || x.channels !== planes * expansion) {
        shortcut = bn(`${p}/downsample/bn`, g.conv(`${p}/downsample/conv`, x, planes * expansion, { kernel: 1, stride, role: 'downsample' }));
      }
      x = g.add(`${p}/add`, y, shortcut);
      if (!erasedBlock(block, o.eraseRelu)) x = g.relu(`${p}/relu_out`, x);
      block++;
    }
    x = maybeShuffle(`stage${s + 1}`, x);
  });
  const features = g.globalAvgPool('pool', x);
  const logits = g.dense('fc', features, o.numClasses);
  return g.build({ arch, options, height: o.height, width: o.width, numClasses: o.numClasses, logits, features });
}
