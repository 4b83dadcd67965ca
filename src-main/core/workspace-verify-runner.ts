import { existsSync, readFileSync, statSync, writeFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { sha256File } from './artifacts.ts';
import { findOrphanFolders } from './orphans.ts';
import type { JobRunContext } from './jobs/spec.ts';
import type { VerifyProblem, VerifyResult } from './workspace-verify.ts';

interface Checkpoint {
  nextIndex: number;
  bytes: number;
  filled: Record<number, string>;
  problems: VerifyProblem[];
}

interface ArtifactRow {
  id: number;
  path: string;
  size_bytes: number;
  sha256: string | null;
}

function readCheckpoint(dir: string): Checkpoint | null {
  const file = path.join(dir, 'verify-checkpoint.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Checkpoint) : null;
}

function writeCheckpoint(dir: string, cp: Checkpoint): void {
  // Write then rename: a crash mid-write never leaves a torn checkpoint.
  const file = path.join(dir, 'verify-checkpoint.json');
  writeFileSync(file + '.tmp', JSON.stringify(cp));
  renameSync(file + '.tmp', file);
}

export default async function run(ctx: JobRunContext<{ chunkMiB: number }>): Promise<VerifyResult> {
  const rows = ctx.readDb().prepare('SELECT id, path, size_bytes, sha256 FROM artifacts ORDER BY id').all() as ArtifactRow[];
  const resumed = ctx.resume ? readCheckpoint(ctx.resume.fromJobDir) : null;
  const cp: Checkpoint = resumed ?? { nextIndex: 0, bytes: 0, filled: {}, problems: [] };
  const resumedAt = cp.nextIndex;
  if (resumed) ctx.log(`Resuming at artifact ${resumedAt + 1} of ${rows.length}.`);
  const t0 = Date.now();
  let bytesThisRun = 0;
  for (let i = cp.nextIndex; i < rows.length; i++) {
    if (ctx.signal.aborted) throw new Error('cancelled');
    const row = rows[i]!;
    const abs = path.join(ctx.workspaceDir, row.path);
    if (!existsSync(abs)) {
      cp.problems.push({ artifactId: row.id, path: row.path, problem: 'file is missing' });
    } else {
      const size = statSync(abs).size;
      if (size !== row.size_bytes) cp.problems.push({ artifactId: row.id, path: row.path, problem: `size is ${size} bytes, ${row.size_bytes} recorded` });
      const hash = await sha256File(abs, ctx.signal);
      if (row.sha256 === null) cp.filled[row.id] = hash;
      else if (row.sha256 !== hash) cp.problems.push({ artifactId: row.id, path: row.path, problem: 'content changed (SHA-256 differs)' });
      cp.bytes += size;
      bytesThisRun += size;
    }
    cp.nextIndex = i + 1;
    writeCheckpoint(ctx.jobDir, cp);
    const seconds = (Date.now() - t0) / 1000;
    const rate = seconds > 0 ? bytesThisRun / seconds : 0;
    const done = cp.nextIndex - resumedAt;
    const left = rows.length - cp.nextIndex;
    ctx.progress({
      fraction: cp.nextIndex / rows.length,
      step: `${cp.nextIndex}/${rows.length} artifacts`,
      throughput: { value: rate / 2 ** 20, unit: 'MiB/s' },
      etaSeconds: done > 0 ? (seconds / done) * left : null,
    });
  }
  for (const p of cp.problems) ctx.log(`${p.path}: ${p.problem}`, 'warn');
  const orphans = findOrphanFolders(ctx.readDb(), ctx.workspaceDir);
  for (const o of orphans) ctx.log(`${o.path}: ${o.reason} (${o.bytes} bytes)`, 'warn');
  return { checked: rows.length, bytes: cp.bytes, filled: cp.filled, problems: cp.problems, orphans, resumedAt };
}
