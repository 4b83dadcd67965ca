/**
 * Graph spec + weights -> ONNX (opset 13).
 *
 * Layout choice: ONNX convolutions are NCHW, the workbench's tensors NHWC.
 * By default the exported model takes the SAME NHWC input as the workbench and
 * the TF.js export (so one preprocessed array feeds all three) and transposes
 * it once, at the graph start, to NCHW; every weight is emitted in NCHW/OIHW
 * layout, so no other transpose appears in the graph. `inputLayout: 'nchw'`
 * drops that first transpose for consumers that feed NCHW (PyTorch habits).
 *
 * Node mapping (all exact, no approximation):
 *   conv2d        Conv (kernel [kh,kw,in,out] -> OIHW); 'same' -> auto_pad SAME_UPPER
 *                 (TF puts the odd padding pixel at the end, as SAME_UPPER does);
 *                 constInput -> + the constant-input map, precomputed for the
 *                 model's fixed input size (constantInputMap).
 *   batchNorm     BatchNormalization (inference form, running statistics)
 *   relu / add    Relu / Add
 *   shortcutA     1x1 Conv, strides = stride, one-hot kernel (emitShortcutA)
 *   maxPool       MaxPool (explicit pads are -inf padded in both TF.js and ONNX)
 *   globalAvgPool GlobalAveragePool + Flatten -> [N, C]
 *   dense         Gemm (kernel [in, units] is already Gemm's B layout)
 *   patchShuffle  nothing (identity at inference)
 *   channelScatter after conv -> BN: widened into them (widen-scatters.ts); otherwise
 *                 a 1x1 Conv with a one-hot kernel [C, K, 1, 1] and the node's bias
 */
import { consumersOf, convOut, inferShapes, type GraphSpec, type NodeOf, type Padding } from '../../../nn/graph.ts';
import { widenScatters } from './widen-scatters.ts';
import { runtimeWidths } from './runtime-widths.ts';
import { OnnxGraphBuilder, type OnnxAttr, type OnnxDim } from './onnx-builder.ts';
import { kernelHwioToOihw, selectionKernelHwio, weightOf, type WeightValues } from '../weights.ts';

export interface OnnxExportOptions {
  /** Layout of the model input; see the file comment. Default 'nhwc'. */
  inputLayout?: 'nhwc' | 'nchw';
  /** A fixed batch size, or a symbolic 'batch' dimension (default). */
  batch?: number;
  /** Also output the pooled features (spec.outputs.features) as a second output named 'features'. */
  includeFeatures?: boolean;
  /**
   * Hard-pruned convs feeding only convs are padded with zero filters to a multiple of this
   * (runtime-widths.ts). Default 8: ONNX Runtime's NCHWc block on AVX2; on AVX-512 (block 16) it
   * pads multiples of 8 itself without leaving that layout. 1 keeps the pruned widths (constant
   * inputs still become a ones channel).
   */
  channelMultiple?: number;
  /** Stored in the model's metadata_props (model id, dataset, method ...). */
  metadata?: Record<string, string>;
  producerVersion?: string;
}

function paddingAttrs(p: Padding): Record<string, OnnxAttr> {
  if (p === 'same') return { auto_pad: { s: 'SAME_UPPER' } };
  if (p === 'valid') return { pads: { ints: [0, 0, 0, 0] } };
  // [[top, bottom], [left, right]] -> ONNX [top, left, bottom, right]
  return { pads: { ints: [p[0][0], p[1][0], p[0][1], p[1][1]] } };
}

function convAttrs(n: NodeOf<'conv2d'>): Record<string, OnnxAttr> {
  return {
    kernel_shape: { ints: n.kernelSize },
    strides: { ints: n.strides },
    dilations: { ints: n.dilation },
    ...paddingAttrs(n.padding),
  };
}

/**
 * What a hard-pruned conv's removed constant input channels add to its output: the conv of a ones
 * image [H,W,1] with constKernel (HWIO [kh,kw,1,F]), zero padding as the node's, as NCHW
 * [F, OH, OW]. Computed here once: the exported input size is fixed, so the graph needs one Add
 * of this map instead of building it per run from the input (3 passes in ONNX Runtime).
 */
export function constantInputMap(n: NodeOf<'conv2d'>, constKernel: Float32Array, height: number, width: number): { data: Float32Array; oh: number; ow: number } {
  const [kh, kw] = n.kernelSize;
  const [sh, sw] = n.strides;
  const [dh, dw] = n.dilation;
  const before = (size: number, out: number, k: number, s: number, d: number, axis: 0 | 1): number => {
    if (n.padding === 'valid') return 0;
    if (n.padding === 'same') return Math.floor(Math.max((out - 1) * s + (k - 1) * d + 1 - size, 0) / 2); // TF: the odd pixel goes after
    return n.padding[axis][0];
  };
  const oh = convOut(height, kh, sh, dh, n.padding, 0);
  const ow = convOut(width, kw, sw, dw, n.padding, 1);
  const pt = before(height, oh, kh, sh, dh, 0);
  const pl = before(width, ow, kw, sw, dw, 1);
  const f = n.filters;
  const data = new Float32Array(f * oh * ow);
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox++) {
      for (let i = 0; i < kh; i++) {
        const iy = oy * sh - pt + i * dh;
        if (iy < 0 || iy >= height) continue;
        for (let j = 0; j < kw; j++) {
          const ix = ox * sw - pl + j * dw;
          if (ix < 0 || ix >= width) continue;
          for (let c = 0; c < f; c++) data[(c * oh + oy) * ow + ox]! += constKernel[(i * kw + j) * f + c]!;
        }
      }
    }
  }
  return { data, oh, ow };
}

/** A constant-input map waiting for the BatchNorm after its conv: [F, OH, OW] NCHW. */
interface PendingMap {
  data: Float32Array;
  oh: number;
  ow: number;
}

/**
 * Emits the conv; a constant-input map is added right after it, or, when `deferMap` receives it,
 * after the BatchNorm that follows (scaled by the BN's gain), so ONNX Runtime can still fuse
 * Conv + BatchNormalization.
 */
function emitConv(
  g: OnnxGraphBuilder,
  spec: GraphSpec,
  weights: WeightValues,
  n: NodeOf<'conv2d'>,
  x: string,
  inputShape: number[],
  deferMap?: (map: PendingMap) => void,
): string {
  const [kh, kw] = n.kernelSize;
  const kernel = weightOf(spec, weights, `${n.name}/kernel`);
  const w = g.floatInitializer(`${n.name}/kernel`, kernelHwioToOihw(kernel, [kh, kw, n.inChannels, n.filters]), [n.filters, n.inChannels, kh, kw]);
  const inputs = [x, w];
  if (n.bias) inputs.push(g.floatInitializer(`${n.name}/bias`, weightOf(spec, weights, `${n.name}/bias`), [n.filters]));
  const y = g.node('Conv', inputs, convAttrs(n), n.name);
  if (!n.constInput) return y;
  const pending = constantInputMap(n, weightOf(spec, weights, `${n.name}/constKernel`), inputShape[0]!, inputShape[1]!);
  if (deferMap) {
    deferMap(pending);
    return y;
  }
  const map = g.floatInitializer(`${n.name}/constMap`, pending.data, [1, n.filters, pending.oh, pending.ow]);
  return g.node('Add', [y, map], {}, `${n.name}/withConst`);
}

function emitChannelScatter(g: OnnxGraphBuilder, spec: GraphSpec, weights: WeightValues, n: NodeOf<'channelScatter'>, x: string): string {
  const k = n.indices.length;
  // One-hot selection [1,1,K,C] (HWIO) -> [C,K,1,1] (OIHW)
  const kernel = kernelHwioToOihw(selectionKernelHwio(k, n.channels, n.indices), [1, 1, k, n.channels]);
  const w = g.floatInitializer(`${n.name}/select`, kernel, [n.channels, k, 1, 1]);
  const b = g.floatInitializer(`${n.name}/bias`, weightOf(spec, weights, `${n.name}/bias`), [n.channels]);
  return g.node('Conv', [x, w, b], { kernel_shape: { ints: [1, 1] } }, n.name);
}

/**
 * Option-A shortcut (every stride-th pixel, zero channels before and after) as a 1x1 Conv with a
 * one-hot kernel [padBefore+C+padAfter, C, 1, 1] and strides [s, s]: exact (each output is one
 * input times 1 plus zeros), and, unlike Slice + Pad, a Conv that ONNX Runtime runs in its NCHWc
 * layout, so the residual stream after a stage transition stays in that layout and the next
 * blocks' Add + Relu fuse into their convs instead of costing reorders and two passes each.
 */
function emitShortcutA(g: OnnxGraphBuilder, n: NodeOf<'shortcutA'>, x: string): string {
  if (n.stride === 1 && n.padBefore === 0 && n.padAfter === 0) return x;
  const c = n.inChannels;
  const out = n.padBefore + c + n.padAfter;
  const targets = Array.from({ length: c }, (_, i) => n.padBefore + i);
  // One-hot selection [1,1,C,out] (HWIO) -> [out,C,1,1] (OIHW)
  const kernel = kernelHwioToOihw(selectionKernelHwio(c, out, targets), [1, 1, c, out]);
  const w = g.floatInitializer(`${n.name}/select`, kernel, [out, c, 1, 1]);
  return g.node('Conv', [x, w], { kernel_shape: { ints: [1, 1] }, strides: { ints: [n.stride, n.stride] }, pads: { ints: [0, 0, 0, 0] } }, n.name);
}

/** Serialises the model as ONNX bytes. Throws naming the node when a weight is missing or has the wrong size. */
export function graphToOnnx(source: GraphSpec, sourceWeights: WeightValues, options: OnnxExportOptions = {}): Uint8Array {
  const widened = widenScatters(source, sourceWeights);
  const { spec, weights } = runtimeWidths(widened.spec, widened.weights, { channelMultiple: options.channelMultiple ?? 8 });
  const shapes = inferShapes(spec);
  const deferred = new Map<string, PendingMap>(); // batchNorm name -> constant map of the conv before it
  const layout = options.inputLayout ?? 'nhwc';
  const batch: OnnxDim = options.batch ?? 'batch';
  const { height, width, channels } = spec.input;
  const g = new OnnxGraphBuilder(spec.arch);
  const names = new Map<string, string>();
  const get = (ref: string): string => {
    const t = names.get(ref);
    if (t === undefined) throw new Error(`Node output "${ref}" is not available.`);
    return t;
  };

  for (const n of spec.nodes) {
    let out: string;
    switch (n.op) {
      case 'input':
        if (layout === 'nhwc') {
          const x = g.input('input', [batch, height, width, channels]);
          // [N,H,W,C] -> [N,C,H,W], once: everything after is NCHW.
          out = g.node('Transpose', [x], { perm: { ints: [0, 3, 1, 2] } }, 'input_nchw');
        } else {
          out = g.input('input', [batch, channels, height, width]);
        }
        break;
      case 'conv2d': {
        const next = consumersOf(spec, n.name);
        const bn = next.length === 1 && next[0]!.op === 'batchNorm' ? next[0]!.name : undefined;
        out = emitConv(g, spec, weights, n, get(n.input), shapes.get(n.input)!, bn ? (map) => deferred.set(bn, map) : undefined);
        break;
      }
      case 'batchNorm': {
        const init = (leaf: string): string => g.floatInitializer(`${n.name}/${leaf}`, weightOf(spec, weights, `${n.name}/${leaf}`), [n.channels]);
        const inputs = [get(n.input), init('gamma'), init('beta'), init('movingMean'), init('movingVariance')];
        out = g.node('BatchNormalization', inputs, { epsilon: { f: n.epsilon } }, n.name);
        const map = deferred.get(n.name);
        if (map) {
          // BN(conv + map) = BN(conv) + gain * map, gain = gamma / sqrt(variance + eps) per channel.
          const gamma = weightOf(spec, weights, `${n.name}/gamma`);
          const variance = weightOf(spec, weights, `${n.name}/movingVariance`);
          const plane = map.oh * map.ow;
          const scaled = map.data.map((v, i) => v * (gamma[Math.floor(i / plane)]! / Math.sqrt(variance[Math.floor(i / plane)]! + n.epsilon)));
          out = g.node('Add', [out, g.floatInitializer(`${n.name}/constMap`, scaled, [1, n.channels, map.oh, map.ow])], {}, `${n.name}/withConst`);
        }
        break;
      }
      case 'relu':
        out = g.node('Relu', [get(n.input)], {}, n.name);
        break;
      case 'add':
        out = g.node('Add', [get(n.inputs[0]), get(n.inputs[1])], {}, n.name);
        break;
      case 'shortcutA':
        out = emitShortcutA(g, n, get(n.input));
        break;
      case 'maxPool':
        out = g.node('MaxPool', [get(n.input)], { kernel_shape: { ints: n.poolSize }, strides: { ints: n.strides }, ...paddingAttrs(n.padding) }, n.name);
        break;
      case 'globalAvgPool': {
        const pooled = g.node('GlobalAveragePool', [get(n.input)]);
        // [N,C,1,1] -> [N,C]
        out = g.node('Flatten', [pooled], { axis: { i: 1 } }, n.name);
        break;
      }
      case 'dense': {
        const kernel = g.floatInitializer(`${n.name}/kernel`, weightOf(spec, weights, `${n.name}/kernel`), [n.inFeatures, n.units]);
        const inputs = [get(n.input), kernel];
        if (n.bias) inputs.push(g.floatInitializer(`${n.name}/bias`, weightOf(spec, weights, `${n.name}/bias`), [n.units]));
        out = g.node('Gemm', inputs, {}, n.name);
        break;
      }
      case 'patchShuffle':
        out = get(n.input);
        break;
      case 'channelScatter':
        out = emitChannelScatter(g, spec, weights, n, get(n.input));
        break;
    }
    names.set(n.name, out);
  }

  g.node('Identity', [get(spec.outputs.logits)], {}, 'logits');
  g.output('logits', [batch, spec.numClasses]);
  if (options.includeFeatures) {
    const f = spec.outputs.features;
    if (f === undefined) throw new Error('The model names no feature output (spec.outputs.features).');
    const dims = inferShapes(spec).get(f)!;
    g.node('Identity', [get(f)], {}, 'features');
    g.output('features', [batch, ...dims]);
  }
  const maps = spec.outputs.classMaps;
  if (maps !== undefined) {
    // Class maps [N,K,h,w] inside; in the input's layout outside ([N,h,w,K] for an NHWC input).
    const [mh, mw, k] = inferShapes(spec).get(maps)!;
    if (layout === 'nhwc') {
      g.node('Transpose', [get(maps)], { perm: { ints: [0, 2, 3, 1] } }, 'class_maps');
      g.output('class_maps', [batch, mh!, mw!, k!]);
    } else {
      g.node('Identity', [get(maps)], {}, 'class_maps');
      g.output('class_maps', [batch, k!, mh!, mw!]);
    }
  }
  return g.encode({
    producerName: 'workbench',
    producerVersion: options.producerVersion ?? '0',
    docString: `${spec.arch}: input ${layout === 'nhwc' ? 'NHWC' : 'NCHW'} float32, normalised as in training; output logits${maps !== undefined ? ` and class_maps (${layout === 'nhwc' ? 'NHWC' : 'NCHW'}, one map per class)` : ''}.`,
    metadata: { arch: spec.arch, inputLayout: layout, ...options.metadata },
  });
}
