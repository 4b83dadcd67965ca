/** Every reproduction the workbench offers, in the order the page lists them. */
import type { ReproductionEntry } from '../common/contract/reproduce.ts';
import type { CatalogueEntry } from './entry.ts';
import { sfpTableEntry } from './entries/sfp-table.ts';
import { psfpVsSfpEntry } from './entries/psfp-vs-sfp.ts';
import { randomErasingCifar10Entry, randomErasingFashionMnistEntry } from './entries/random-erasing.ts';
import { eraseReluEntry } from './entries/erase-relu.ts';
import { pruneVariantsEntry } from './entries/prune-variants.ts';

export const catalogue: readonly CatalogueEntry[] = [sfpTableEntry, psfpVsSfpEntry, randomErasingFashionMnistEntry, randomErasingCifar10Entry, eraseReluEntry, pruneVariantsEntry];

export function catalogueEntry(id: string): CatalogueEntry | undefined {
  return catalogue.find((e) => e.id === id);
}

/** Training images x epochs of one seed's runs (what a scale costs), from the configs a dataset would get. */
function imageEpochs(entry: CatalogueEntry, scale: CatalogueEntry['scales']['quick']): number {
  return scale.runs.reduce((sum, run) => {
    const cfg = run.config({ datasetId: 1, seed: 0 });
    const images = cfg.dataset.limit ?? entry.fullTrainImages;
    return sum + Math.round(images * (1 - (cfg.dataset.validationFraction ?? 0.1))) * cfg.epochs;
  }, 0);
}

/** The entry as the contract describes it (no config builders, measures folded into claims). */
export function describeEntry(entry: CatalogueEntry): ReproductionEntry {
  const scale = (s: CatalogueEntry['scales']['quick']) => ({
    description: s.description,
    runs: s.runs.map((r) => ({ key: r.key, label: r.label })),
    defaultSeeds: s.defaultSeeds,
    imageEpochs: imageEpochs(entry, s),
  });
  return {
    id: entry.id,
    title: entry.title,
    claim: entry.claim,
    paper: entry.paper,
    dataset: entry.dataset,
    scales: { quick: scale(entry.scales.quick), paper: scale(entry.scales.paper) },
    claims: entry.claims.map(({ measure: _measure, ...claim }) => claim),
  };
}
