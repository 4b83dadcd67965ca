import type { DatasetDetail, DatasetSummary, SampleDetail, SampleSummary } from '../../src-main/common/contract/index.ts';

export function dataset(overrides: Partial<DatasetSummary> = {}): DatasetSummary {
  return {
    id: 1,
    name: 'pets',
    format: 'imagefolder',
    rootPath: '/data/pets',
    storage: 'files',
    createdAt: '2026-11-25T20:00:00Z',
    counts: { samples: 100_000, classes: 3, identities: 0, cameras: 0, splits: { train: 90_000, test: 10_000 }, withBoxes: 0, domains: {} },
    sizeBytes: 5_000_000,
    imageSize: { width: 32, height: 32, channels: 3 },
    parentDatasetId: null,
    jobId: 1,
    warnings: [],
    ...overrides,
  };
}

export function datasetDetail(overrides: Partial<DatasetDetail> = {}): DatasetDetail {
  return {
    ...dataset(),
    classes: [
      { idx: 0, name: 'cat', count: 40_000 },
      { idx: 1, name: 'dog', count: 40_000 },
      { idx: 2, name: 'frog', count: 20_000 },
    ],
    cameras: [],
    problems: [],
    problemCount: 0,
    extra: {},
    ...overrides,
  };
}

/** A synthetic sample; its fields follow from its index so tests can predict them. */
export function sampleAt(index: number): SampleSummary {
  return {
    id: index + 1,
    index,
    path: `${['cat', 'dog', 'frog'][index % 3]}/img_${index}.png`,
    split: index % 10 === 0 ? 'test' : 'train',
    label: index % 3,
    className: ['cat', 'dog', 'frog'][index % 3]!,
    personId: null,
    camera: null,
    domain: null,
    width: 32,
    height: 32,
    boxCount: index === 1 ? 1 : 0,
  };
}

export function sampleDetail(id: number): SampleDetail {
  return {
    ...sampleAt(id - 1),
    datasetId: 1,
    absolutePath: `/data/pets/${sampleAt(id - 1).path}`,
    sequence: null,
    frame: null,
    channels: 3,
    sizeBytes: 1234,
    mtimeMs: 0,
    boxes: id === 2 ? [[4, 4, 20, 28]] : [],
    extra: id === 2 ? { blobIndex: 1 } : {},
  };
}
