import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { PipelineRecord, PipelineSpec, PipelineStep, PreviewResult, TransformInfo } from '../../../src-main/common/contract/index.ts';
import { useApi } from '../api/index.ts';
import { followJobs, once } from './follow-jobs.ts';

/** Default options of a transform, from its parameter schema. */
export function defaultOptions(info: TransformInfo): Record<string, unknown> {
  return Object.fromEntries(info.params.map((p) => [p.name, Array.isArray(p.default) ? [...p.default] : p.default]));
}

/** The pipeline being edited, the transforms it can use, and the preview of it. */
export const useAugmentStore = defineStore('augment', () => {
  const transforms = ref<TransformInfo[]>([]);
  const pipelines = ref<PipelineRecord[]>([]);
  const steps = ref<PipelineStep[]>([]);
  const datasetId = ref<number | null>(null);
  const sampleIds = ref<number[]>([]);
  const count = ref(8);
  const seed = ref(0);
  /** Which random images the preview shows (without sample ids): kept while the seed changes, so a new seed re-draws the parameters on the same images. */
  const imageSeed = ref(0);
  const epoch = ref(0);
  const preview = ref<PreviewResult | null>(null);
  /** The pipeline the preview on screen ran (the editor may have changed since). */
  const previewSpec = ref<PipelineSpec | null>(null);
  const previewing = ref(false);
  const previewError = ref<{ message: string; field?: string | undefined } | null>(null);
  const loadedName = ref<string | null>(null);

  const spec = computed<PipelineSpec>(() => ({ version: 1, steps: steps.value }));
  const byName = computed(() => new Map(transforms.value.map((t) => [t.name, t])));

  async function loadTransforms(): Promise<void> {
    if (!transforms.value.length) transforms.value = await useApi().call('augment.transforms', {});
  }
  /** A pipeline saved elsewhere (another window, the CLI) says data.changed. */
  const followPipelines = once(() => followJobs([], () => loadPipelines(), ['pipelines']));
  async function loadPipelines(): Promise<void> {
    followPipelines();
    pipelines.value = await useApi().call('augment.pipelines.list', {});
  }

  function addStep(name: string): void {
    const info = byName.value.get(name);
    if (info) steps.value = [...steps.value, { transform: name, options: defaultOptions(info), enabled: true }];
  }
  function removeStep(index: number): void {
    steps.value = steps.value.filter((_, i) => i !== index);
  }
  function moveStep(index: number, delta: -1 | 1): void {
    const target = index + delta;
    if (target < 0 || target >= steps.value.length) return;
    const next = [...steps.value];
    [next[index], next[target]] = [next[target]!, next[index]!];
    steps.value = next;
  }
  function setOption(index: number, name: string, value: unknown): void {
    const step = steps.value[index];
    if (step) steps.value[index] = { ...step, options: { ...step.options, [name]: value } };
  }
  function setEnabled(index: number, enabled: boolean): void {
    const step = steps.value[index];
    if (step) steps.value[index] = { ...step, enabled };
  }
  /** Sets a step's options to a named preset of its transform, or to the transform's defaults ('defaults'). */
  function applyPreset(index: number, preset: string): void {
    const step = steps.value[index];
    const info = step && byName.value.get(step.transform);
    const values = preset === 'defaults' ? info && defaultOptions(info) : info?.presets[preset];
    // A transform whose options name their preset (Random Erasing's `preset`) records the choice too.
    const named = preset !== 'defaults' && info?.params.some((p) => p.name === 'preset') ? { preset } : {};
    if (step && values) steps.value[index] = { ...step, options: { ...step.options, ...values, ...named } };
  }
  function useSpec(record: PipelineRecord): void {
    steps.value = record.spec.steps.map((s) => ({ ...s, options: { ...s.options } }));
    loadedName.value = record.name;
  }

  /** Previews the pipeline on the chosen sample ids, else on the random images `imageSeed` picks (the same ones until "Other images"). */
  async function runPreview(): Promise<void> {
    if (datasetId.value === null) return;
    const ids = sampleIds.value;
    previewing.value = true;
    previewError.value = null;
    // A copy: the editor changes steps in place after this preview ran.
    const ran = JSON.parse(JSON.stringify(spec.value)) as PipelineSpec;
    try {
      preview.value = await useApi().call('augment.preview', {
        datasetId: datasetId.value,
        pipeline: ran,
        seed: seed.value,
        epoch: epoch.value,
        ...(ids.length ? { sampleIds: ids } : { count: count.value, imageSeed: imageSeed.value }),
      });
      previewSpec.value = ran;
    } catch (e) {
      const err = e as { message: string; field?: string };
      previewError.value = { message: err.message, field: err.field };
    } finally {
      previewing.value = false;
    }
  }

  const randomSeed = () => Math.floor(Math.random() * 0xffffffff);
  /** A new seed: the same images with new random draws. */
  async function reroll(): Promise<void> {
    seed.value = randomSeed();
    await runPreview();
  }
  /** Other random images (the seed, and so the draws' recipe, stays). */
  async function otherImages(): Promise<void> {
    sampleIds.value = [];
    imageSeed.value = randomSeed();
    await runPreview();
  }

  /** Saves the pipeline for training; throws the ApiError (fields `name`, `spec.steps.N...`). */
  async function save(name: string, overwrite: boolean): Promise<PipelineRecord> {
    const record = await useApi().call('augment.pipelines.save', { name, spec: spec.value, overwrite });
    loadedName.value = record.name;
    await loadPipelines();
    return record;
  }

  return {
    transforms, pipelines, steps, datasetId, sampleIds, count, seed, imageSeed, epoch, preview, previewSpec, previewing, previewError, loadedName, spec, byName,
    loadTransforms, loadPipelines, addStep, removeStep, moveStep, setOption, setEnabled, applyPreset, useSpec, runPreview, reroll, otherImages, save,
  };
});
