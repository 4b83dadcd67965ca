import type { PipelineRecord, PipelineSpec, PreviewResult } from '../../../src-main/common/contract/index.ts';

/** Key-sorted JSON, so a spec read back from the workspace compares equal to the one edited here. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function stepsKey(spec: PipelineSpec): string {
  return canonical(spec.steps.map((s) => ({ transform: s.transform, enabled: s.enabled ?? true, options: s.options ?? {} })));
}

/** The saved pipeline whose steps are exactly the previewed ones, if any. */
export function matchingPipeline(spec: PipelineSpec, saved: readonly PipelineRecord[]): PipelineRecord | null {
  const key = stepsKey(spec);
  return saved.find((p) => stepsKey(p.spec) === key) ?? null;
}

/**
 * The CLI command that writes the same pixels and drawn parameters as this
 * preview: same dataset, pipeline, seed, epoch, split and sample ids.
 * `pipeline` is a saved pipeline's id, or a JSON file name when it is not saved.
 */
export function previewCommand(preview: PreviewResult, pipeline: string | number): string {
  return [
    'workbench augment preview',
    `--dataset ${preview.datasetId}`,
    `--pipeline ${pipeline}`,
    `--seed ${preview.seed}`,
    ...(preview.epoch !== 0 ? [`--epoch ${preview.epoch}`] : []),
    ...(preview.split !== null ? [`--split ${preview.split}`] : []),
    `--samples ${preview.items.map((i) => i.sampleId).join(',')}`,
    '--out preview',
  ].join(' ');
}
