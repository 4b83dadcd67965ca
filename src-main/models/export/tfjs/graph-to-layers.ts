/**
 * Graph spec + weights -> a tfjs-layers model built from STANDARD Keras layers
 * only, so the saved model.json loads with a plain `tf.loadLayersModel` in any
 * TF.js app (and converts to Keras) without custom classes.
 *
 * Node mapping (all exact):
 *   conv2d        Conv2D; explicit padding -> ZeroPadding2D + Conv2D 'valid';
 *                 constInput -> + Conv2D(ones, constKernel), the ones map being a
 *                 1x1 Conv2D of the input with a zero kernel and bias 1.
 *   batchNorm     BatchNormalization (Keras momentum = 1 - our PyTorch-style momentum)
 *   relu / add    ReLU / Add
 *   shortcutA     1x1 Conv2D, stride s, with a fixed one-hot kernel: Keras has no
 *                 channel-pad layer; each output is one input times 1 plus zeros.
 *   maxPool       MaxPooling2D; explicit padding -> ZeroPadding2D + 'valid' pool, only
 *                 where the input comes out of a ReLU (zero padding then equals
 *                 TF.js's -inf padding because every real value is >= 0)
 *   globalAvgPool GlobalAveragePooling2D
 *   dense         Dense
 *   patchShuffle  nothing (identity at inference)
 *   channelScatter 1x1 Conv2D with a fixed one-hot kernel and the node's bias
 * Fixed helper layers are marked non-trainable.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { findNode, inferShapes, type GraphSpec, type NodeOf, type Padding } from '../../../nn/graph.ts';
import { selectionKernelHwio, weightOf, type WeightValues } from '../weights.ts';

type Sym = tfl.SymbolicTensor;

interface Pending {
  layer: tfl.layers.Layer;
  values: { data: Float32Array; shape: number[] }[];
}

/** Keras-friendly, unique layer names derived from node names ('stage1/block0/conv1' -> 'stage1_block0_conv1'). */
class LayerNames {
  private readonly used = new Set<string>();
  make(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^[^A-Za-z0-9]/, 'n');
    let name = clean;
    for (let k = 1; this.used.has(name); k++) name = `${clean}_${k}`;
    this.used.add(name);
    return name;
  }
}

function isExplicit(p: Padding): p is [[number, number], [number, number]] {
  return p !== 'same' && p !== 'valid';
}

export interface LayersExportOptions {
  /** Also output the pooled features as a second model output. */
  includeFeatures?: boolean;
}

/**
 * Builds the tfjs-layers model with the weights set. The caller owns it
 * (`model.dispose()` frees its weights). Needs an initialised TF.js backend.
 */
export function graphToLayersModel(spec: GraphSpec, weights: WeightValues, options: LayersExportOptions = {}): tfl.LayersModel {
  inferShapes(spec);
  const names = new LayerNames();
  const pending: Pending[] = [];
  const syms = new Map<string, Sym>();
  const get = (ref: string): Sym => {
    const s = syms.get(ref);
    if (!s) throw new Error(`Node output "${ref}" is not available.`);
    return s;
  };
  const w = (key: string, shape: number[]): { data: Float32Array; shape: number[] } => ({ data: weightOf(spec, weights, key), shape });
  const apply = (layer: tfl.layers.Layer, x: Sym | Sym[], values: Pending['values'] = []): Sym => {
    pending.push({ layer, values });
    return layer.apply(x) as Sym;
  };
  const zeroPad = (x: Sym, p: [[number, number], [number, number]], base: string): Sym =>
    apply(tfl.layers.zeroPadding2d({ padding: p, name: names.make(`${base}_pad`) }), x);

  const conv = (n: NodeOf<'conv2d'>, x: Sym): Sym => {
    const [kh, kw] = n.kernelSize;
    const padded = isExplicit(n.padding) ? zeroPad(x, n.padding, n.name) : x;
    const layer = tfl.layers.conv2d({
      name: names.make(n.name),
      filters: n.filters,
      kernelSize: n.kernelSize,
      strides: n.strides,
      dilationRate: n.dilation,
      padding: n.padding === 'same' ? 'same' : 'valid',
      useBias: n.bias,
    });
    const values = [w(`${n.name}/kernel`, [kh, kw, n.inChannels, n.filters])];
    if (n.bias) values.push(w(`${n.name}/bias`, [n.filters]));
    const y = apply(layer, padded, values);
    if (!n.constInput) return y;
    // [B,H,W,Cin] -> [B,H,W,1] of ones (0 * x + 1), then what the removed constant channels contributed.
    const ones = apply(
      tfl.layers.conv2d({ name: names.make(`${n.name}_ones`), filters: 1, kernelSize: 1, useBias: true, trainable: false }),
      x,
      [
        { data: new Float32Array(n.inChannels), shape: [1, 1, n.inChannels, 1] },
        { data: new Float32Array([1]), shape: [1] },
      ],
    );
    const onesPadded = isExplicit(n.padding) ? zeroPad(ones, n.padding, `${n.name}_ones`) : ones;
    const constPart = apply(
      tfl.layers.conv2d({
        name: names.make(`${n.name}_const`),
        filters: n.filters,
        kernelSize: n.kernelSize,
        strides: n.strides,
        dilationRate: n.dilation,
        padding: n.padding === 'same' ? 'same' : 'valid',
        useBias: false,
        trainable: false,
      }),
      onesPadded,
      [w(`${n.name}/constKernel`, [kh, kw, 1, n.filters])],
    );
    return apply(tfl.layers.add({ name: names.make(`${n.name}_withConst`) }), [y, constPart]);
  };

  /** A fixed 1x1 convolution copying input channel i to output channel targets[i]. */
  const selection = (base: string, x: Sym, inChannels: number, outChannels: number, targets: number[], stride: number, bias?: Float32Array): Sym => {
    const layer = tfl.layers.conv2d({
      name: names.make(base),
      filters: outChannels,
      kernelSize: 1,
      strides: stride,
      padding: 'valid',
      useBias: bias !== undefined,
      trainable: false,
    });
    const values = [{ data: selectionKernelHwio(inChannels, outChannels, targets), shape: [1, 1, inChannels, outChannels] }];
    if (bias) values.push({ data: bias, shape: [outChannels] });
    return apply(layer, x, values);
  };

  let modelInput: Sym | null = null;
  for (const n of spec.nodes) {
    let y: Sym;
    switch (n.op) {
      case 'input':
        modelInput = tfl.input({ shape: [spec.input.height, spec.input.width, spec.input.channels], name: names.make('input') });
        y = modelInput;
        break;
      case 'conv2d':
        y = conv(n, get(n.input));
        break;
      case 'batchNorm':
        y = apply(
          tfl.layers.batchNormalization({ name: names.make(n.name), axis: -1, epsilon: n.epsilon, momentum: 1 - n.momentum }),
          get(n.input),
          ['gamma', 'beta', 'movingMean', 'movingVariance'].map((leaf) => w(`${n.name}/${leaf}`, [n.channels])),
        );
        break;
      case 'relu':
        y = apply(tfl.layers.reLU({ name: names.make(n.name) }), get(n.input));
        break;
      case 'add':
        y = apply(tfl.layers.add({ name: names.make(n.name) }), [get(n.inputs[0]), get(n.inputs[1])]);
        break;
      case 'shortcutA': {
        const out = n.padBefore + n.inChannels + n.padAfter;
        const targets = Array.from({ length: n.inChannels }, (_, i) => i + n.padBefore);
        y = selection(n.name, get(n.input), n.inChannels, out, targets, n.stride);
        break;
      }
      case 'maxPool': {
        let x = get(n.input);
        if (isExplicit(n.padding)) {
          if (findNode(spec, n.input).op !== 'relu') {
            throw new Error(`Node "${n.name}": TF.js layers export supports explicit max-pool padding only after a ReLU.`);
          }
          x = zeroPad(x, n.padding, n.name);
        }
        y = apply(
          tfl.layers.maxPooling2d({ name: names.make(n.name), poolSize: n.poolSize, strides: n.strides, padding: n.padding === 'same' ? 'same' : 'valid' }),
          x,
        );
        break;
      }
      case 'globalAvgPool':
        y = apply(tfl.layers.globalAveragePooling2d({ name: names.make(n.name) }), get(n.input));
        break;
      case 'dense': {
        const values = [w(`${n.name}/kernel`, [n.inFeatures, n.units])];
        if (n.bias) values.push(w(`${n.name}/bias`, [n.units]));
        y = apply(tfl.layers.dense({ name: names.make(n.name), units: n.units, useBias: n.bias }), get(n.input), values);
        break;
      }
      case 'patchShuffle':
        y = get(n.input);
        break;
      case 'channelScatter':
        y = selection(n.name, get(n.input), n.indices.length, n.channels, n.indices, 1, weightOf(spec, weights, `${n.name}/bias`));
        break;
    }
    syms.set(n.name, y);
  }
  if (!modelInput) throw new Error('The graph has no input node.');
  const outputs = [get(spec.outputs.logits)];
  if (options.includeFeatures) {
    if (spec.outputs.features === undefined) throw new Error('The model names no feature output (spec.outputs.features).');
    outputs.push(get(spec.outputs.features));
  }
  // A localization head's class maps [N,h,w,K] come after the logits (and features).
  if (spec.outputs.classMaps !== undefined) outputs.push(get(spec.outputs.classMaps));
  const model = tfl.model({ inputs: modelInput, outputs: outputs.length === 1 ? outputs[0]! : outputs, name: names.make(spec.arch) });
  for (const { layer, values } of pending) {
    if (values.length === 0) continue;
    const tensors = values.map((v) => tf.tensor(v.data, v.shape, 'float32'));
    layer.setWeights(tensors);
    tf.dispose(tensors);
  }
  return model;
}
