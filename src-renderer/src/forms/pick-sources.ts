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

export interface PickOption {
  value: number | string;
  label: string;
}

interface Source {
  /** The store the list lives in (loads are shared per store, so a test's fresh store never waits on an old one's). */
  store: object;
  load: () => Promise<void>;
  options: ComputedRef<PickOption[]>;
}

const sources = {
  datasets(): Source {
    const store = useDatasetsStore();
    return { store, load: () => store.load(), options: computed(() => store.list.map((d) => ({ value: d.id, label: `${d.name} (${d.counts.samples} images)` }))) };
  },
  models(): Source {
    const store = useTrainingStore();
    return { store, load: () => store.loadModels(), options: computed(() => store.models.map((m) => ({ value: m.id, label: `${m.name} (${m.arch}${m.method ? `, ${m.method}` : ''})` }))) };
  },
  architectures(): Source {
    const store = useTrainingStore();
    return { store, load: () => store.loadArchitectures(), options: computed(() => store.architectures.map((a) => ({ value: a.name, label: a.name }))) };
  },
  reidModels(): Source {
    const store = useReidStore();
    return { store, load: () => store.loadModels(), options: computed(() => store.models.map((m) => ({ value: m.modelId, label: m.name }))) };
  },
  /** Only runs with a checkpoint can translate. */
  spganRuns(): Source {
    const store = useSpganStore();
    return { store, load: () => store.loadRuns(), options: computed(() => store.runs.filter((r) => r.checkpointEpochs.length).map((r) => ({ value: r.jobId, label: `#${r.jobId} ${r.title}` }))) };
  },
  /** CAM and SPG models (what localize.eval accepts), newest first. */
  localizeModels(): Source {
    const store = useLocalizeStore();
    return {
      store,
      load: () => store.loadModels(),
      options: computed(() => {
        const all = [...store.models.cam, ...store.models.spg].sort((a, b) => b.id - a.id);
        return all.filter((m, i) => all.findIndex((x) => x.id === m.id) === i).map((m) => ({ value: m.id, label: `${m.name} (${m.arch}, ${m.method})` }));
      }),
    };
  },
  pipelines(): Source {
    const store = useAugmentStore();
    return { store, load: () => store.loadPipelines(), options: computed(() => store.pipelines.map((p) => ({ value: p.id, label: p.name }))) };
  },
} satisfies Record<string, () => Source>;

export type PickSource = keyof typeof sources;

const inflight = new WeakMap<object, Map<PickSource, Promise<void>>>();

/** The options of one list, loaded now (for a picker's setup). */
export function usePickSource(name: PickSource): { options: ComputedRef<PickOption[]>; loaded: Promise<void> } {
  const source = sources[name]();
  const loads = inflight.get(source.store) ?? new Map<PickSource, Promise<void>>();
  inflight.set(source.store, loads);
  let loading = loads.get(name);
  if (!loading) {
    loading = source.load().finally(() => loads.delete(name));
    loads.set(name, loading);
  }
  return { options: source.options, loaded: loading };
}
