import type { FilterHistory, JobSummary, ModelSummary } from '../../../src-main/common/contract/index.ts';

/**
 * The training runs that pruned (SFP/PSFP), the only ones with filter norms to
 * show. Job summaries carry no params: a train job's title names the method
 * ("Train resnet20 SFP 30% on ..."; src-main/train/jobs.ts), and a finished
 * run's model records it too. `keep` stays listed whatever it is (the run
 * open in the URL), so the picker never shows a blank choice.
 */
export function pruningRuns(jobs: readonly JobSummary[], models: readonly ModelSummary[], trainKind: string, keep: number | null): JobSummary[] {
  const prunedByModel = new Set(models.filter((m) => m.method === 'sfp' || m.method === 'psfp').map((m) => m.jobId));
  return jobs.filter((j) => j.kind === trainKind && (j.id === keep || prunedByModel.has(j.id) || /\bP?SFP\b/.test(j.title)));
}

export type CellState = 'kept' | 'zeroed' | 'revived' | 'regrown';

export interface EpochCells {
  /** [layer][filter]: norm relative to the layer's largest norm at that epoch, 0..1. */
  relative: number[][];
  state: CellState[][];
  zeroed: number;
  revived: number;
  /** Filters zeroed at the previous masking and large again before this one (history.layers[].regrown). */
  regrown: number;
  /** [layer][filter]: zeroed again by this masking (a regrown cell shows it with a dark centre). */
  rezeroed: boolean[][];
}

/**
 * What the heatmap draws at one masking epoch. A filter is "revived" when it
 * was zeroed at an earlier masking and is not zeroed now: SFP lets zeroed
 * filters keep learning, and this is where they came back. It is "regrown"
 * (its own colour, over zeroed or revived) when it was zeroed at the previous
 * masking and its norm before this one is large again (the server's rule,
 * src-main/prune/regrowth.ts): the regrowth that pushes trained filters out.
 */
export function cellsAt(history: FilterHistory, epochIndex: number): EpochCells {
  let zeroed = 0;
  let revived = 0;
  let regrown = 0;
  const relative: number[][] = [];
  const state: CellState[][] = [];
  const rezeroed: boolean[][] = [];
  for (const layer of history.layers) {
    const norms = layer.norms[epochIndex] ?? [];
    const masks = layer.masks[epochIndex] ?? [];
    const grown = layer.regrown?.[epochIndex] ?? [];
    const max = Math.max(1e-12, ...norms);
    relative.push(norms.map((n) => n / max));
    rezeroed.push(masks.map((m, f) => m && Boolean(grown[f])));
    state.push(
      masks.map((masked, f) => {
        let s: CellState = 'kept';
        if (masked) {
          zeroed++;
          s = 'zeroed';
        } else if (layer.masks.slice(0, epochIndex).some((m) => m[f])) {
          revived++;
          s = 'revived';
        }
        if (grown[f]) {
          regrown++;
          s = 'regrown';
        }
        return s;
      }),
    );
  }
  return { relative, state, zeroed, revived, regrown, rezeroed };
}

/** Colour of a regrown cell: a hue far from the norm ramp (215) and the came-back cells (120). */
export const regrownHue = 350;
export const regrownColor = `hsl(${regrownHue}, 80%, 55%)`;

/** Hue of the "came back after being zeroed" cells (with an orange outline). */
export const revivedHue = 120;

/**
 * Colour of a kept filter from its norm relative to the layer's largest (0..1).
 * One hue, light to dark: a hue ramp from yellow to blue passed through green,
 * and mid-norm filters then looked like the green "came back" cells.
 */
export function normColor(relative: number): string {
  const v = Math.min(1, Math.max(0, relative));
  return `hsl(215, 70%, ${Math.round(92 - v * 60)}%)`;
}
