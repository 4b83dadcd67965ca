import type { JobProgress } from '../../common/contract/index.ts';
import { pct } from './format.ts';

function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '';
  const s = Math.round(seconds);
  return s >= 60 ? ` ETA ${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : ` ETA ${s}s`;
}

/** One terminal line for a job's progress: "  42.0% epoch 3/10 812.3 img/s ETA 1m05s". */
export function progressLine(progress: JobProgress): string {
  const done = progress.fraction === null ? '' : `${pct(progress.fraction)} `;
  const rate = progress.throughput ? ` ${progress.throughput.value.toFixed(1)} ${progress.throughput.unit}` : '';
  return `  ${done}${progress.step}${rate}${formatEta(progress.etaSeconds)}`;
}
