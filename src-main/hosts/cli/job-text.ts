import type { JobDetail } from '../../common/contract/jobs.ts';
import { pct } from './format.ts';

/** A value in one short phrase: scalars as they are, lists by their length, objects by their fields. */
function brief(value: unknown): string {
  if (value == null) return '-';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
  if (typeof value === 'string') return value.length > 80 ? `${value.slice(0, 77)}...` : value;
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.every((v) => typeof v !== 'object' || v == null) && value.length <= 8 ? value.map(brief).join(', ') : `${value.length} items`;
  const keys = Object.keys(value);
  return keys.length === 0 ? '-' : keys.length <= 4 && keys.every((k) => typeof (value as Record<string, unknown>)[k] !== 'object') ? keys.map((k) => `${k} ${brief((value as Record<string, unknown>)[k])}`).join(', ') : `${keys.length} fields`;
}

/** An object's fields, one "name: value" line each, indented; a scalar as one line. */
function fields(value: unknown, indent: string): string[] {
  if (value == null || typeof value !== 'object' || Array.isArray(value)) return [`${indent}${brief(value)}`];
  return Object.entries(value).map(([k, v]) => `${indent}${k}: ${brief(v)}`);
}

function duration(from: string | null, to: string | null): string {
  if (!from || !to) return '';
  const s = (Date.parse(to) - Date.parse(from)) / 1000;
  if (!Number.isFinite(s) || s < 0) return '';
  return s < 60 ? ` (${s.toFixed(1)} s)` : s < 3600 ? ` (${Math.floor(s / 60)} min ${Math.round(s % 60)} s)` : ` (${(s / 3600).toFixed(1)} h)`;
}

/** `workbench jobs show N` for people: kind, state, times, progress, error, parameters and result summarized, the last log lines. */
export function jobDetailText(job: JobDetail, place: string): string {
  const lines = [
    `Job ${job.id}: ${job.title}`,
    `  kind:     ${job.kind}`,
    `  state:    ${job.status}${job.sweepId ? ` (sweep ${job.sweepId})` : ''}`,
    `  runs on:  ${place}${job.slurm?.elapsedSeconds != null ? `, ${job.slurm.elapsedSeconds} s of ${job.slurm.limitSeconds ?? '?'} s` : ''}`,
    `  created:  ${job.createdAt}`,
    ...(job.startedAt ? [`  started:  ${job.startedAt}`] : []),
    ...(job.finishedAt ? [`  finished: ${job.finishedAt}${duration(job.startedAt, job.finishedAt)}`] : []),
    ...(job.progress && job.status !== 'succeeded' ? [`  progress: ${pct(job.progress.fraction, 0)}${job.progress.step ? ` (${job.progress.step})` : ''}`] : []),
    ...(job.error ? [`  error:    ${job.error}`] : []),
    '  parameters:',
    ...fields(job.params, '    '),
  ];
  if (job.result != null) lines.push('  result:', ...fields(job.result, '    '));
  if (job.logs.length) lines.push(`  log (last ${Math.min(10, job.logs.length)} of ${job.logs.length} lines):`, ...job.logs.slice(-10).map((l) => `    ${l.ts} [${l.level}] ${l.line}`));
  lines.push(`Full parameters and result: workbench --json jobs show ${job.id}`);
  return lines.join('\n');
}
