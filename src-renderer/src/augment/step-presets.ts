/**
 * A step's one preset control: the transform's defaults and its named presets
 * (e.g. Random Erasing's "paper" and "torchvision"), and which of them the
 * step's options match now ('custom' when none does).
 */
import type { PipelineStep, TransformInfo } from '../../../src-main/common/contract/index.ts';
import { defaultOptions } from '../stores/augment.ts';

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Every preset of a transform by name, 'defaults' first (all options), then the named ones (the options they set). */
export function presetsOf(info: TransformInfo): Record<string, Record<string, unknown>> {
  return { defaults: defaultOptions(info), ...info.presets };
}

/**
 * The preset a step's options match (the transform's defaults fill options the step leaves out), or
 * 'custom'. A named preset is said before 'defaults' (Random Erasing's defaults are its paper's).
 */
export function matchingPreset(step: PipelineStep, info: TransformInfo): string {
  const options = { ...defaultOptions(info), ...step.options };
  for (const [name, values] of [...Object.entries(info.presets), ['defaults', defaultOptions(info)] as const]) {
    if (Object.entries(values).every(([k, v]) => same(options[k], v))) return name;
  }
  return 'custom';
}
