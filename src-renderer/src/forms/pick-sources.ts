/**
 * The workspace lists a picker can offer (datasets, models, runs...), each read
 * from its store: how to load it and how its entries read. Loads of one list
 * started together (two dataset pickers on one form) share one request.
 */
import { computed, type ComputedRef } from 'vue';
import { useDatasetsStore } from '../stores/datasets.ts';
import { useTrainingStore } from '../stores/training.ts';
import { useReidStore } from '../stores/reid.ts';
import { useSpganStore } from '../stores/spgan.ts';
import { useAugmentStore } from '../stores/augment.ts';
import { useLocalizeStore } from '../stores/localize.ts';
import { useAdaptStore } from '../stores/adapt.ts';
import type { DatasetSummary, ModelSummary } from '../../../src-main/common/contract/index.ts';
import type { FormValues } from './form-types.ts';

export interface PickOption {
  value: number | string;
  label: string;
}

interface Source {
  /** The store the list lives in (loads are shared per store, so a test's fresh store never waits on an old one's). */
  store: object;
  /** The load a list shares (sources of one store's list share one request). */
  list: string;
  load: () => Promise<void>;
  options: ComputedRef<PickOption[]>;
  /** Why the list offers nothing, and what to do about it. */
  empty: string;
}

/**
 * How a picker narrows its list by another field of the form: `sameClassesAs` names a dataset
 * field whose class count the offered sets must have, the set chosen there left out unless it holds
 * several domains (adaptation's target and translation beside its source),
 * `classesOfModel` a model field (the class count of the set that model was trained on).
 */
export interface PickNarrowing {
  sameClassesAs?: string;
  classesOfModel?: string;
}

/** The class count the chosen item of another field asks for, or null where nothing narrows (nothing chosen, or not known). */
function wantedClasses(values: FormValues, narrowing: PickNarrowing): number | null {
  const datasets = useDatasetsStore();
  const classesOf = (id: unknown) => datasets.list.find((d) => d.id === id)?.counts.classes ?? null;
  if (narrowing.sameClassesAs) return classesOf(values[narrowing.sameClassesAs]);
  if (narrowing.classesOfModel) {
    const model = useTrainingStore().models.find((m) => m.id === values[narrowing.classesOfModel!]);
    return model?.datasetId ? classesOf(model.datasetId) : null;
  }
  return null;
}

/** The datasets of one kind (re-ID sets have person ids, classification sets class labels, localization sets boxes). */
function datasetsWhere(keep: (d: DatasetSummary) => boolean, describe: (d: DatasetSummary) => string, empty: string): Source {
  const store = useDatasetsStore();
  return { store, list: 'datasets', load: () => store.load(), options: computed(() => store.list.filter(keep).map((d) => ({ value: d.id, label: `${d.name} (${describe(d)})` }))), empty };
}

/** A set imported as domain folders (Office-31's amazon, dslr, webcam). */
const hasDomains = (d: DatasetSummary): boolean => Object.keys(d.counts.domains).length > 1;

/** Classification sets, of the class count another field asks for where it asks for one. */
function classDatasetsWhere(values: () => FormValues, narrowing: PickNarrowing, keep: (d: DatasetSummary) => boolean, empty: (classes: number | null) => string): Source {
  const wanted = computed(() => wantedClasses(values(), narrowing));
  const other = () => (narrowing.sameClassesAs ? values()[narrowing.sameClassesAs] : undefined);
  const source = datasetsWhere(
    // A set of domain folders (Office-31) stays on offer beside itself: its domains are the two sides.
    (d) => d.counts.classes > 0 && keep(d) && (wanted.value === null || d.counts.classes === wanted.value) && (d.id !== other() || hasDomains(d)),
    (d) => `${d.counts.classes} classes, ${d.counts.samples} images`,
    '',
  );
  return {
    ...source,
    get empty() {
      return empty(wanted.value);
    },
  };
}
const channelsOf = (d: DatasetSummary): number | null => d.imageSize?.channels ?? null;
const modelLabel = (m: ModelSummary) => `${m.name} (${m.arch}${m.method ? `, ${m.method}` : ''})`;
const images = (d: DatasetSummary) => `${d.counts.samples} images`;
const importHint = 'on the Datasets page (Import…)';

const sources = {
  datasets(): Source {
    return datasetsWhere(() => true, images, `No dataset yet: import one ${importHint}.`);
  },
  /** Re-ID sets: datasets with person ids (Market-1501, DukeMTMC-reID, MSMT17, their SPGAN translations). */
  reidDatasets(): Source {
    return datasetsWhere(
      (d) => d.counts.identities > 0,
      (d) => `${d.counts.identities} ids, ${d.counts.samples} images`,
      `No re-ID dataset (one with person ids) yet: import Market-1501, DukeMTMC-reID or MSMT17 ${importHint}.`,
    );
  },
  /** Classification sets: datasets with class labels (of the class count a narrowing asks for). */
  classDatasets(values, narrowing): Source {
    return classDatasetsWhere(values, narrowing, () => true, (classes) =>
      classes === null
        ? `No dataset with class labels yet: import CIFAR-10, Fashion-MNIST or a folder of class folders ${importHint}.`
        : `No ${narrowing.sameClassesAs ? 'other ' : ''}dataset with ${classes} classes (the ${narrowing.classesOfModel ? "chosen model's" : "source's"} label set) yet: import one ${importHint}${narrowing.sameClassesAs ? ', or make one from the source (Make a target domain)' : ''}.`,
    );
  },
  /** Grayscale classification sets (what an MNIST-M style blend starts from); sets of mixed image sizes are offered, the server checks their channels. */
  grayDatasets(values, narrowing): Source {
    return classDatasetsWhere(values, narrowing, (d) => channelsOf(d) !== 3, () => `No grayscale dataset with class labels yet: import Fashion-MNIST or MNIST ${importHint}.`);
  },
  /** Colour datasets (the patches of an MNIST-M style blend). */
  colourDatasets(): Source {
    return datasetsWhere((d) => channelsOf(d) !== 1, images, `No colour dataset yet: import CIFAR-10 or a folder of colour images ${importHint}.`);
  },
  /** Localization sets: datasets whose images have boxes. */
  boxDatasets(): Source {
    return datasetsWhere(
      (d) => d.counts.withBoxes > 0,
      (d) => `${d.counts.withBoxes} with boxes`,
      `No dataset with boxes yet: generate a localization set (Localization page) or import one with its boxes (ILSVRC val) ${importHint}.`,
    );
  },
  models(): Source {
    const store = useTrainingStore();
    return {
      store,
      list: 'models',
      load: () => store.loadModels(),
      options: computed(() => store.models.map((m) => ({ value: m.id, label: modelLabel(m) }))),
      empty: 'No model yet: train one (Training) or import one (Pruning & Compare, Import model…).',
    };
  },
  /** Classifiers: models whose outputs are classes (re-ID models' outputs are person ids of their training set). */
  classModels(): Source {
    const store = useTrainingStore();
    return {
      store,
      list: 'models',
      load: () => store.loadModels(),
      options: computed(() => store.models.filter((m) => m.method !== 'ide').map((m) => ({ value: m.id, label: modelLabel(m) }))),
      empty: 'No classification model yet: train one (Training) or import one (Pruning & Compare, Import model…).',
    };
  },
  /**
   * Backbones a training can start from (re-ID, localization): models of the architecture the
   * form trains, its `arch` field (the job copies every weight of the same name and shape), IDE models first.
   */
  backboneModels(values: () => FormValues): Source {
    const store = useTrainingStore();
    return {
      store,
      list: 'models',
      load: () => store.loadModels(),
      options: computed(() => {
        const arch = values().arch;
        const fitting = store.models.filter((m) => m.arch === arch);
        return [...fitting.filter((m) => m.method === 'ide'), ...fitting.filter((m) => m.method !== 'ide')].map((m) => ({ value: m.id, label: `${m.name} (${m.method ?? 'baseline'})` }));
      }),
      empty: 'No model of this architecture yet: train one (an IDE model for re-ID), or import an ImageNet ResNet of it (Pruning & Compare, Import model…). Without one the weights start random.',
    };
  },
  architectures(): Source {
    const store = useTrainingStore();
    return { store, list: 'architectures', load: () => store.loadArchitectures(), options: computed(() => store.architectures.map((a) => ({ value: a.name, label: a.name }))), empty: 'The architecture list did not load.' };
  },
  reidModels(): Source {
    const store = useReidStore();
    return {
      store,
      list: 'reidModels',
      load: () => store.loadModels(),
      options: computed(() => store.models.map((m) => ({ value: m.modelId, label: m.name }))),
      empty: 'No re-ID (IDE) model yet: train one first (Train an IDE re-ID model).',
    };
  },
  /** Only runs with a checkpoint can translate. */
  spganRuns(): Source {
    const store = useSpganStore();
    return {
      store,
      list: 'spganRuns',
      load: () => store.loadRuns(),
      options: computed(() => store.runs.filter((r) => r.checkpointEpochs.length).map((r) => ({ value: r.jobId, label: `#${r.jobId} ${r.title}` }))),
      empty: 'No SPGAN run with a saved epoch yet: start one (New SPGAN run); it can translate once an epoch is saved.',
    };
  },
  /** CAM and SPG models (what localize.eval accepts), newest first. */
  localizeModels(): Source {
    const store = useLocalizeStore();
    return {
      store,
      list: 'localizeModels',
      load: () => store.loadModels(),
      empty: 'No CAM or SPG model yet: train one first (Train a CAM or SPG localization model).',
      options: computed(() => {
        const all = [...store.models.cam, ...store.models.spg].sort((a, b) => b.id - a.id);
        return all.filter((m, i) => all.findIndex((x) => x.id === m.id) === i).map((m) => ({ value: m.id, label: `${m.name} (${m.arch}, ${m.method})` }));
      }),
    };
  },
  /** Finished domain adaptation runs (what adapt.eval measures), newest first. */
  adaptRuns(): Source {
    const store = useAdaptStore();
    return {
      store,
      list: 'runs',
      load: () => store.loadRuns(),
      options: computed(() => store.runs.filter((r) => r.status === 'succeeded').map((r) => ({ value: r.jobId, label: `#${r.jobId} ${r.title}` }))),
      empty: 'No finished adaptation run yet: start one (New adaptation run…), or pick a workspace classifier instead.',
    };
  },
  pipelines(): Source {
    const store = useAugmentStore();
    return { store, list: 'pipelines', load: () => store.loadPipelines(), options: computed(() => store.pipelines.map((p) => ({ value: p.id, label: p.name }))), empty: 'No saved pipeline yet: make one on the Augmentations page.' };
  },
} satisfies Record<string, (values: () => FormValues, narrowing: PickNarrowing) => Source>;

export type PickSource = keyof typeof sources;

const inflight = new WeakMap<object, Map<string, Promise<void>>>();

/** The options of one list, loaded now (for a picker's setup); `values`: the form's values (a list that depends on another field). */
export function usePickSource(
  name: PickSource,
  values: () => FormValues = () => ({}),
  narrowing: PickNarrowing = {},
): { options: ComputedRef<PickOption[]>; loaded: Promise<void>; empty: ComputedRef<string> } {
  const source = sources[name](values, narrowing);
  const loads = inflight.get(source.store) ?? new Map<string, Promise<void>>();
  inflight.set(source.store, loads);
  let loading = loads.get(source.list);
  if (!loading) {
    const key = source.list;
    loading = source.load().finally(() => loads.delete(key));
    loads.set(key, loading);
  }
  return { options: source.options, loaded: loading, empty: computed(() => source.empty) };
}
