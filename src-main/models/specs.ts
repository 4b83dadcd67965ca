/**
 * The model registry's TF.js-free half: every architecture by name, built as
 * a graph spec. Job spec files and API handlers (writer process) use this;
 * registry.ts adds `createModel` (weights, needs TF.js). Add a model: one row
 * in `modelCatalogue` (common/contract/models.ts); a new family also needs its
 * builder and a branch in `entryOf` below. The registry test then covers it.
 */
import { modelCatalogue, modelNames, modelOptionsSchema, type ModelCatalogueEntry, type ModelInfo, type ModelName, type ModelOptionsInput } from '../common/contract/models.ts';
import { inferShapes, type GraphSpec } from '../nn/graph.ts';
import { buildCifarResNet } from './resnet-cifar.ts';
import { buildImageNetResNet } from './resnet-imagenet.ts';
import { resolveOptions } from './options.ts';

interface Entry extends ModelInfo {
  build(options: ModelOptionsInput): GraphSpec;
}

/** How each family of the catalogue is built: its facts and its builder. */
function entryOf(m: ModelCatalogueEntry): Entry {
  if (m.family === 'cifar') {
    return {
      name: m.name,
      family: m.family,
      depth: m.depth,
      description: `CIFAR ResNet-${m.depth} (${(m.depth - 2) / 6} basic blocks per stage, 16/32/64 filters)`,
      defaultInputSize: [32, 32],
      minInputSize: 4,
      build: (options) => buildCifarResNet(m.name, m.depth, resolveOptions(options, { size: 32, numClasses: 10, shortcut: 'A' }), options),
    };
  }
  const blocks = [...m.blocks] as [number, number, number, number];
  return {
    name: m.name,
    family: m.family,
    depth: m.depth,
    description: `ImageNet ResNet-${m.depth} (${m.bottleneck ? 'bottleneck' : 'basic'} blocks ${blocks.join('/')})`,
    defaultInputSize: [224, 224],
    minInputSize: 32,
    build: (options) => buildImageNetResNet(m.name, blocks, m.bottleneck, resolveOptions(options, { size: 224, numClasses: 1000, shortcut: 'B' }), options),
  };
}

const entries: ReadonlyMap<ModelName, Entry> = new Map(modelCatalogue.map((m) => [m.name, entryOf(m)]));

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
