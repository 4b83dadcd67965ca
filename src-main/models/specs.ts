/**
 * The model registry's TF.js-free half: every architecture by name, built as
 * a graph spec. Job spec files and API handlers (writer process) use this;
 * registry.ts adds `createModel` (weights, needs TF.js). Add a model: write
 * its builder, add a row here and its name to `modelNames` in
 * common/contract/models.ts; the registry test then covers it automatically.
 */
import { modelNames, modelOptionsSchema, type ModelInfo, type ModelName, type ModelOptionsInput } from '../common/contract/models.ts';
import { inferShapes, type GraphSpec } from '../nn/graph.ts';
import { buildCifarResNet } from './resnet-cifar.ts';
import { buildImageNetResNet } from './resnet-imagenet.ts';
import { resolveOptions } from './options.ts';

interface Entry extends ModelInfo {
  build(options: ModelOptionsInput): GraphSpec;
}

function cifar(depth: number): Entry {
  const name = `resnet${depth}` as ModelName;
  return {
    name,
    family: 'cifar',
    depth,
    description: `CIFAR ResNet-${depth} (${(depth - 2) / 6} basic blocks per stage, 16/32/64 filters)`,
    defaultInputSize: [32, 32],
    minInputSize: 4,
    build: (options) => buildCifarResNet(name, depth, resolveOptions(options, { size: 32, numClasses: 10, shortcut: 'A' }), options),
  };
}

function imagenet(depth: number, layers: [number, number, number, number], bottleneck: boolean): Entry {
  const name = `resnet${depth}` as ModelName;
  return {
    name,
    family: 'imagenet',
    depth,
    description: `ImageNet ResNet-${depth} (${bottleneck ? 'bottleneck' : 'basic'} blocks ${layers.join('/')})`,
    defaultInputSize: [224, 224],
    minInputSize: 32,
    build: (options) => buildImageNetResNet(name, layers, bottleneck, resolveOptions(options, { size: 224, numClasses: 1000, shortcut: 'B' }), options),
  };
}

const entries: ReadonlyMap<ModelName, Entry> = new Map(
  [
    cifar(20),
    cifar(32),
    cifar(44),
    cifar(56),
    cifar(110),
    imagenet(18, [2, 2, 2, 2], false),
    imagenet(34, [3, 4, 6, 3], false),
    imagenet(50, [3, 4, 6, 3], true),
  ].map((e) => [e.name, e]),
);

export function listModels(): ModelInfo[] {
  return modelNames.map((n) => {
    const { build: _build, ...info } = entries.get(n)!;
    return info;
  });
}

export function isModelName(name: string): name is ModelName {
  return entries.has(name as ModelName);
}

export function modelInfo(name: string): ModelInfo {
  const e = entries.get(name as ModelName);
  if (!e) throw new Error(`Unknown architecture "${name}" (known: ${modelNames.join(', ')}).`);
  const { build: _build, ...info } = e;
  return info;
}

/** The graph spec of a registry model; throws a message naming the option when the options do not fit. */
export function buildSpec(name: string, options: ModelOptionsInput = {}): GraphSpec {
  const entry = entries.get(name as ModelName);
  if (!entry) throw new Error(`Unknown architecture "${name}" (known: ${modelNames.join(', ')}).`);
  const parsed = modelOptionsSchema.parse(options);
  const size = parsed.inputSize ?? entry.defaultInputSize;
  if (Math.min(...size) < entry.minInputSize) {
    throw new Error(`inputSize ${size.join('x')} is too small for ${name}: it needs at least ${entry.minInputSize}x${entry.minInputSize}.`);
  }
  const spec = entry.build(parsed);
  inferShapes(spec);
  return spec;
}
