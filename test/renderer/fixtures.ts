import { defaultResourceLimits, type EngineInfo, type JobSummary, type SettingsMap, type WorkspaceInfo } from '../../src-main/common/contract/index.ts';

/** Small, realistic records the tests build their fake workspace from. */
export function job(overrides: Partial<JobSummary> = {}): JobSummary {
  return {
    id: 1,
    kind: 'train.classifier',
    title: 'Train ResNet-20 on CIFAR-10',
    status: 'running',
    progress: { fraction: 0.25, step: 'epoch 3/12', throughput: { value: 412.5, unit: 'img/s' }, etaSeconds: 125 },
    error: null,
    createdAt: '2026-11-25T20:00:00.000Z',
    startedAt: '2026-11-25T20:00:01.000Z',
    finishedAt: null,
    engine: null,
    resumable: true,
    kindResumable: true,
    parentJobId: null,
    runOn: 'local',
    slurm: null,
    sweepId: null,
    ...overrides,
  };
}

export const engineInfo: EngineInfo = {
  backend: 'wasm',
  device: 'CPU',
  gpu: false,
  threads: 2,
  simd: true,
  versions: { 'tfjs-core': '4.22.0' },
  fallbacks: ['tensorflow: libtensorflow not installed'],
};

export const settings: SettingsMap = { theme: 'system', backend: 'auto', computeConcurrency: 1, limits: defaultResourceLimits, importRoots: ['/home/lab', '/data'] };

export const workspaceInfo: WorkspaceInfo = {
  dir: '/home/lab/workbench',
  databasePath: '/home/lab/workbench/workbench.db',
  artifactsDir: '/home/lab/workbench/artifacts',
  schemaVersion: 1,
  appVersion: '0.1.0',
  counts: { datasets: 2, samples: 60000, jobs: 4, models: 1, artifacts: 3 },
  sizeBytes: 123_456_789,
  nextStartDir: '/home/lab/workbench',
};
