/** The localization job forms: a generated localization set, a CAM / SPG training run, the box evaluation, and heatmaps of chosen images. */
import { jobKinds, localizeEvalSchema, localizeGenerateSchema, localizeMapsSchema, localizeTrainRecipes, localizeTrainSchema, type LocalizeTrainRecipe, type Req } from '../../../src-main/common/contract/index.ts';
import type { FormValues, JobFormDef } from '../forms/form-types.ts';
import FormPick from '../forms/FormPick.vue';
import FormRadio from '../forms/FormRadio.vue';
import { useApi } from '../api/index.ts';
import { placement } from '../stores/jobs.ts';

const datasetPicker = { widget: FormPick, props: { source: 'datasets' } };

export function localizeGenerateForm(): JobFormDef {
  const textured = (v: FormValues) => v.recipe === 'textured';
  return {
    kind: jobKinds.localizeGenerate,
    schema: localizeGenerateSchema,
    title: 'Generate a localization set',
    intro: 'One object per image pasted at a random place and scale on a square canvas; its true box and mask are kept for evaluation. Splits train / val / test.',
    fields: {
      objectDatasetId: { widget: FormPick, props: { source: 'classDatasets' }, label: 'Objects (labeled dataset)' },
      recipe: { options: { textured: 'textured (gray background image, fragments of other objects)', cluttered: 'cluttered (black, 8×8 fragments; easy)' } },
      backgroundDatasetId: { ...datasetPicker, label: 'Backgrounds', help: 'Shown in gray behind the object (e.g. CIFAR-10).', required: true, when: textured },
      backgroundContrast: { step: 0.05, when: textured },
      canvas: { label: 'Canvas side (px)' },
      scale: { help: 'Object scale range relative to its source size, [min, max].' },
    },
  };
}

const recipes = localizeTrainRecipes as Record<string, LocalizeTrainRecipe>;
/** The schema's defaults, what 'custom' starts from. */
const trainDefaults = localizeTrainSchema.parse({ datasetId: 1 }) as unknown as Record<string, unknown>;
/** A field that follows the chosen recipe (the schema default under 'custom') until the user edits it. */
function fromRecipe(path: string): (v: FormValues) => unknown {
  return (v) => {
    const read = (o: Record<string, unknown> | undefined) => path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], o);
    const set = read(recipes[String(v.recipe)]?.params as Record<string, unknown> | undefined);
    return set !== undefined ? set : read(trainDefaults);
  };
}

export function localizeTrainForm(): JobFormDef {
  const spg = (v: FormValues) => v.method === 'spg';
  const recipeHelp = (v: FormValues) => {
    const r = recipes[String(v.recipe)];
    return r ? `${r.source}${r.needs ? ` Needs ${r.needs}` : ''}` : 'Set every field below yourself.';
  };
  const stage = (n: 1 | 2 | 3, from: string) => [
    { path: `spg.stage${n}.high`, label: `Stage ${n} object ≥`, id: `stage${n}-high`, step: 0.05, help: `Of ${from}: at or above is object.`, when: spg },
    { path: `spg.stage${n}.low`, label: `Stage ${n} background <`, id: `stage${n}-low`, step: 0.01, help: 'Below is background; between the two is ignored.', when: spg },
  ];
  return {
    kind: jobKinds.localizeTrain,
    schema: localizeTrainSchema,
    idPrefix: 'loc-train',
    title: 'Train a CAM or SPG localization model',
    intro: "Image labels only (the boxes are for evaluation); the dataset's 'train' split, else every image.",
    backend: true,
    sections: [
      {
        title: 'Data and model',
        fields: [
          {
            path: 'recipe',
            local: true,
            label: 'Recipe',
            widget: FormRadio,
            wide: true,
            initial: 'custom',
            options: { custom: 'Custom', ...Object.fromEntries(Object.entries(recipes).map(([k, r]) => [k, r.title])) },
            help: recipeHelp,
          },
          { path: 'datasetId', label: 'Dataset', id: 'dataset', widget: FormPick, props: { source: 'classDatasets' } },
          { path: 'method', label: 'Method', id: 'method', options: { cam: 'CAM (class activation maps)', spg: 'SPG (self-produced guidance, three side branches)' }, derive: fromRecipe('method') },
          { path: 'arch', label: 'Backbone', id: 'arch', help: 'CIFAR ResNets keep a 1/4-resolution map (16×16 at 64 px); ImageNet ResNets 1/32.', derive: fromRecipe('arch') },
          { path: 'widthMultiplier', label: 'Width multiplier', id: 'width', step: 0.25, derive: fromRecipe('widthMultiplier') },
          { path: 'imageSize', label: 'Image size [height, width]', id: 'size', help: "Empty: the dataset's image size.", derive: fromRecipe('imageSize') },
          { path: 'initFromModelId', label: 'Backbone from model', id: 'init', widget: FormPick, props: { source: 'backboneModels' }, none: 'none (random)', help: 'A workspace model of the same architecture: every weight of the same name and shape.' },
          { path: 'name', label: 'Name', id: 'name' },
        ],
      },
      {
        title: 'Optimisation',
        fields: [
          { path: 'epochs', label: 'Epochs', id: 'epochs', derive: fromRecipe('epochs') },
          { path: 'batchSize', label: 'Batch size', id: 'batch', derive: fromRecipe('batchSize') },
          { path: 'learningRate', label: 'Learning rate', id: 'lr', derive: fromRecipe('learningRate') },
          { path: 'lrSchedule', label: 'Learning-rate schedule', id: 'schedule', options: { constant: 'constant', cosine: 'cosine (towards 0 at the last epoch)' }, derive: fromRecipe('lrSchedule') },
          { path: 'momentum', label: 'Momentum', id: 'momentum', step: 0.01, derive: fromRecipe('momentum') },
          { path: 'weightDecay', label: 'Weight decay', id: 'wd', derive: fromRecipe('weightDecay') },
          { path: 'limit', label: 'Use only N training images', id: 'limit', placeholder: 'all' },
          { path: 'seed', label: 'Seed', id: 'seed' },
        ],
      },
      {
        title: 'SPG (the paper’s thresholds by default)',
        fields: [
          ...stage(1, 'the attention map (supervises the deep branch)'),
          ...stage(2, "the deep branch's sigmoid (supervises the shallow branch)"),
          ...stage(3, 'the mean of both sigmoids (supervises the top branch)'),
          { path: 'spg.minObjectPixels', label: 'Minimum object pixels', id: 'min-object', help: 'Fewer pass the object threshold: pixels ≥ 0.7 × the max are the object.', when: spg },
          { path: 'spg.weights', label: 'BCE weights [deep, shallow, top]', id: 'weights', when: spg },
          { path: 'spg.branchChannels', label: 'Branch channels', id: 'branch', when: spg },
          { path: 'spg.startEpoch', label: 'Guidance from epoch', id: 'start-epoch', help: 'Before it, CE only: 1 (the paper) fine-tunes a trained classifier; from scratch the first maps are noise.', when: spg, derive: fromRecipe('spg.startEpoch') },
        ],
      },
    ],
  };
}

export function localizeEvalForm(): JobFormDef {
  return {
    kind: jobKinds.localizeEval,
    schema: localizeEvalSchema,
    title: 'Evaluate a localization model',
    intro: 'Top-1 / Top-5 / GT-known Loc at a fixed threshold and MaxBoxAccV2 (+ PxAP), beside the no-learning baselines.',
    backend: true,
    fields: {
      modelId: { widget: FormPick, props: { source: 'localizeModels' }, label: 'Model (CAM or SPG)' },
      datasetId: { widget: FormPick, props: { source: 'boxDatasets' }, label: 'Dataset with boxes' },
      split: { label: 'Split evaluated' },
      selectSplit: { label: 'Threshold split', none: 'the evaluated split (optimistic)', help: "Held-out split MaxBoxAccV2 chooses its thresholds on." },
      threshold: { step: 0.05, help: "Fixed threshold of the CAM/SPG protocol (fraction of the map's max)." },
      limit: { label: 'Use only N images per split', placeholder: 'all' },
    },
  };
}

export function localizeMapsForm(): JobFormDef {
  // The ids are the control's text until sent ('100, 101'), or a list.
  const bySplit = (v: FormValues) => (Array.isArray(v.sampleIds) ? v.sampleIds.length === 0 : String(v.sampleIds ?? '').trim() === '');
  return {
    kind: jobKinds.localizeMaps,
    schema: localizeMapsSchema,
    idPrefix: 'loc-maps',
    title: 'Heatmaps of chosen images',
    intro: "Per image a PNG of the predicted class's map, the predicted box at the threshold, the ground-truth boxes with IoU, and for SPG the three stage masks (maps.json beside the PNGs).",
    backend: true,
    fields: {
      modelId: { widget: FormPick, props: { source: 'localizeModels' }, label: 'Model (CAM or SPG)' },
      datasetId: { widget: FormPick, props: { source: 'datasets' }, label: 'Dataset' },
      sampleIds: { label: 'Sample ids', help: 'Comma-separated ids of the dataset; empty: the first N images (of a split).', placeholder: 'the first N' },
      split: { label: 'From split', help: 'Without sample ids: take the images from this split.', placeholder: 'all', when: bySplit },
      limit: { label: 'Images (N)', when: bySplit },
      threshold: { step: 0.05, help: "Predicted box: the largest connected component above this fraction of the map's max." },
      colormap: { options: { jet: 'jet', viridis: 'viridis', gray: 'gray' } },
      blend: { step: 0.1, help: 'Weight of the heatmap over the image in the PNG: 1 = the heatmap alone.' },
      outDir: { label: 'Also copy to folder', help: 'Optional; an absolute folder path.' },
    },
    // The call of its own (not jobs.submit), as every host serves it.
    submit: (params, backend, runOn) => useApi().call('localize.maps', { ...(params as Req<'localize.maps'>), ...placement(backend, runOn) }),
  };
}
