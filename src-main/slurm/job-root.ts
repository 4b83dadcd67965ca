/**
 * Job folders on the profile's jobRoot, for a workspace the nodes do not see.
 *
 * A job placed there gets its own tree `<jobRoot>/<workspace key>/<job id>/`
 * shaped like a workspace: `workbench.db` (a snapshot of the database, taken
 * at submission), `artifacts/jobs/<id>/` (its job folder and channel), and the
 * inputs it reads from the workspace (dataset pixels, model folders, the job
 * folders of the run it resumes) at their workspace-relative paths. The job
 * process on the node runs with that tree as its workspace, so every path it
 * writes (checkpoints, models, a decoded import) is the workspace-relative path
 * the host records. The host, the only writer of the database, copies what the
 * job wrote into the workspace before it applies a message that names it
 * (record, done, failed): each file is copied beside its place and renamed, so
 * nothing is registered half-copied. When the job has ended the tree is removed.
 *
 * Inputs outside the workspace (an import's source folder, files a dataset
 * indexes in place) are read where they are; one under the profile's
 * localPaths is refused before the job is queued, naming the field.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiError } from '../common/contract/errors.ts';
import { jobKinds } from '../common/contract/kinds.ts';
import { openDatabase } from '../core/db/open-database.ts';
import { jobFolder, type Workspace } from '../core/workspace.ts';
import type { SlurmProfile } from './profile.ts';

/** Whether `p` is `folder` or inside it. */
export function isUnder(p: string, folder: string): boolean {
  const f = path.resolve(folder);
  const r = path.resolve(p);
  return r === f || r.startsWith(f === '/' ? f : f + path.sep);
}

/** Why the nodes cannot see `p` by the profile's own list, or null. */
export function localPathReason(p: string, profile: Pick<SlurmProfile, 'localPaths'>): string | null {
  const hit = profile.localPaths.find((l) => isUnder(p, l));
  return hit ? `it is under ${hit}, which the profile lists as this machine's own storage (localPaths)` : null;
}

/** The workspace's folder name under jobRoot: readable, and distinct per machine and workspace path. */
export function workspaceKey(wsDir: string): string {
  let real = wsDir;
  try {
    real = realpathSync(wsDir);
  } catch {
    // Not there (tests): the path as given.
  }
  const hash = createHash('sha256').update(`${os.hostname()}\n${real}`).digest('hex').slice(0, 12);
  const base = path.basename(real).replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 40) || 'workspace';
  return `${base}-${hash}`;
}

/** A job's tree on jobRoot. */
export function stageDirFor(jobRoot: string, wsDir: string, jobId: number): string {
  return path.join(jobRoot, workspaceKey(wsDir), String(jobId));
}

/** The job folder inside a tree (what `jobFolder` is inside a workspace). */
export function stagedJobDir(stageDir: string, jobId: number): string {
  return jobFolder(stageDir, jobId);
}

/**
 * The profile's jobRoot can hold job folders: not on storage the profile says
 * is this machine's own, there, a folder, and writable by this host (tried, not
 * read from mode bits: ACLs, root squash and read-only mounts decide).
 */
export function checkJobRoot(profile: SlurmProfile): void {
  const root = profile.jobRoot;
  if (!root) return;
  const local = localPathReason(root, profile);
  if (local) throw new ApiError('invalid_request', `The profile's jobRoot ${root} cannot be seen from the nodes: ${local}.`, 'profile.jobRoot');
  let isDir: boolean;
  try {
    isDir = statSync(root).isDirectory();
  } catch {
    throw new ApiError('invalid_request', `The profile's jobRoot ${root} does not exist; create it on storage the nodes share (job folders are made there), or change the profile.`, 'profile.jobRoot');
  }
  if (!isDir) throw new ApiError('invalid_request', `The profile's jobRoot ${root} is a file, not a folder.`, 'profile.jobRoot');
  const probe = path.join(root, `.workbench-write-test-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ApiError('invalid_request', `The profile's jobRoot ${root} is not writable from this machine (${code}); job folders are made there.`, 'profile.jobRoot');
  }
}

/** What a job reads besides its params: from the workspace (staged) and from elsewhere (read in place). */
export interface InputPlan {
  /** Workspace-relative files and folders, copied into the job's tree. */
  stage: string[];
  /** Absolute paths outside the workspace the job reads in place; `field` names where they come from. */
  external: { what: string; field: string; path: string }[];
}

/**
 * The inputs of a job, found from its params by the contract's naming: a number
 * under a key ending in `datasetId` (or `dataset.id`), `modelId` or `jobId`
 * (and their `...Ids` lists) is a dataset, model or job of the workspace; a
 * string that is an absolute path is a file or folder read in place. A job's
 * inputs include its folder, its models and its own params' inputs (a
 * translation reads its SPGAN run's checkpoint); a resumed job's include the
 * job folders along its resume chain (checkpoints).
 */
export function planInputs(ws: Workspace, params: unknown, parentJobId: number | null): InputPlan {
  const stage = new Set<string>();
  const external: InputPlan['external'] = [];
  const seen = { dataset: new Set<number>(), model: new Set<number>(), job: new Set<number>() };

  const inWorkspace = (abs: string): string | null => {
    const rel = path.relative(ws.dir, abs);
    return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : null;
  };
  const add = (p: string, what: string, field: string): void => {
    const abs = path.resolve(ws.dir, p);
    if (abs === ws.dir) return;
    const rel = inWorkspace(abs);
    if (rel) stage.add(rel);
    else external.push({ what, field, path: abs });
  };
  const sidePaths = (value: unknown, out: string[]): void => {
    if (Array.isArray(value)) value.forEach((v) => sidePaths(v, out));
    else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        if (k === 'path' && typeof v === 'string') out.push(v);
        else sidePaths(v, out);
      }
    }
  };

  const dataset = (id: number, field: string): void => {
    if (seen.dataset.has(id)) return;
    seen.dataset.add(id);
    const row = ws.db.prepare('SELECT name, root_path, info FROM datasets WHERE id = ?').get(id) as { name: string; root_path: string; info: string } | undefined;
    if (!row) return;
    const what = `dataset ${id} "${row.name}"`;
    const info = JSON.parse(row.info || '{}') as { blob?: unknown };
    // A decoded set is read from its pixel blob; its root is where it was imported from.
    if (!info.blob) add(row.root_path, what, field);
    // Decoded pixels, masks, indexes: `{ path }` entries of its info, workspace-relative; their folder goes along.
    const side: string[] = [];
    sidePaths(info, side);
    for (const p of side) add(path.isAbsolute(p) ? p : path.dirname(p), what, field);
  };
  const model = (id: number, field: string): void => {
    if (seen.model.has(id)) return;
    seen.model.add(id);
    const row = ws.db.prepare('SELECT name, dir FROM models WHERE id = ?').get(id) as { name: string; dir: string } | undefined;
    if (row) add(row.dir, `model ${id} "${row.name}"`, field);
  };
  const job = (id: number, field: string): void => {
    if (seen.job.has(id)) return;
    seen.job.add(id);
    const row = ws.db.prepare('SELECT params, parent_job_id FROM jobs WHERE id = ?').get(id) as { params: string; parent_job_id: number | null } | undefined;
    if (!row) return;
    const dir = jobFolder(ws.dir, id);
    if (existsSync(dir)) stage.add(path.relative(ws.dir, dir));
    for (const m of ws.db.prepare('SELECT id FROM models WHERE job_id = ?').all(id) as { id: number }[]) model(m.id, field);
    walk(JSON.parse(row.params) as unknown, `${field} (job ${id}'s params)`, '');
  };
  const walk = (value: unknown, prefix: string, parentKey: string): void => {
    if (Array.isArray(value)) return value.forEach((v, i) => walk(v, `${prefix}.${i}`, parentKey));
    if (!value || typeof value !== 'object') return;
    for (const [key, v] of Object.entries(value)) {
      const field = prefix ? `${prefix}.${key}` : key;
      const ids = typeof v === 'number' ? [v] : Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : null;
      if (ids && (/datasetIds?$/i.test(key) || (key === 'id' && parentKey === 'dataset'))) ids.forEach((id) => dataset(id, field));
      else if (ids && /modelIds?$/i.test(key)) ids.forEach((id) => model(id, field));
      else if (ids && /jobIds?$/i.test(key)) ids.forEach((id) => job(id, field));
      else if (typeof v === 'string' && path.isAbsolute(v)) add(v, field, field);
      else walk(v, field, key);
    }
  };

  walk(params, 'params', '');
  for (let id = parentJobId; id != null; ) {
    job(id, 'resume');
    id = (ws.db.prepare('SELECT parent_job_id FROM jobs WHERE id = ?').get(id) as { parent_job_id: number | null } | undefined)?.parent_job_id ?? null;
  }
  // A folder inside another staged one goes along with it.
  const sorted = [...stage].sort();
  const outer = sorted.filter((p, i) => !sorted.slice(0, i).some((q) => isUnder(p, q)));
  return { stage: outer, external };
}

/**
 * Kinds whose input is the whole workspace (every file it records): a tree
 * holds only what a job's params name, so they run where the workspace is.
 */
const WHOLE_WORKSPACE_KINDS: readonly string[] = [jobKinds.workspaceVerify];

/** Refuses a kind that cannot run in a tree on jobRoot, naming `runOn`. */
export function checkKindOnJobRoot(kind: string, profile: SlurmProfile): void {
  if (profile.jobRoot && WHOLE_WORKSPACE_KINDS.includes(kind)) {
    throw new ApiError('invalid_request', `A ${kind} job reads the whole workspace, which the profile's nodes do not see (its job folders are on jobRoot): run it on this machine.`, 'runOn');
  }
}

/** Refuses inputs the nodes cannot see (under the profile's localPaths), naming the field they come from. */
export function checkExternalInputs(plan: InputPlan, profile: SlurmProfile): void {
  for (const e of plan.external) {
    const why = localPathReason(e.path, profile);
    if (why) {
      throw new ApiError(
        'invalid_request',
        `${e.field}: ${e.what === e.field ? '' : `${e.what} `}reads ${e.path}, which the Slurm nodes cannot see: ${why}. Put it on storage the nodes share (and import it from there), or run the job on this machine.`,
        e.field,
      );
    }
  }
}

/** The staging record a restarted host reads back (`attach`). */
interface StagedRecord {
  jobId: number;
  workspaceDir: string;
  staged: string[];
}

const STAGED_FILE = 'staged.json';

/** The channel folder of a job folder: live journals, never landed while the job runs. */
function channelOf(stageDir: string, jobId: number): string {
  return path.join(stagedJobDir(stageDir, jobId), 'slurm');
}

/**
 * Makes a job's tree: the database snapshot (rollback journal, owner-only; paths
 * of the workspace's own files moved into the tree) and the staged inputs.
 * Writes the snapshot under a temporary name first: a tree without
 * `workbench.db` was not finished.
 */
export async function stageJob(ws: Workspace, stageDir: string, jobId: number, plan: InputPlan): Promise<void> {
  mkdirSync(stagedJobDir(stageDir, jobId), { recursive: true });
  for (const rel of plan.stage) {
    const src = path.join(ws.dir, rel);
    if (!existsSync(src)) continue;
    // A job folder that ran on Slurm in the workspace keeps its channel: not an input.
    cpSync(src, path.join(stageDir, rel), { recursive: true, filter: (f) => !(path.basename(f) === 'slurm' && /[/\\]artifacts[/\\]jobs[/\\]\d+$/.test(path.dirname(f))) });
  }
  const partial = path.join(stageDir, 'workbench.db.partial');
  rmSync(partial, { force: true });
  await ws.db.backup(partial);
  const db = openDatabase(partial);
  try {
    // WAL needs shared memory, which network file systems do not give.
    db.pragma('journal_mode = DELETE');
    const prefix = ws.dir + path.sep;
    db.prepare('UPDATE datasets SET root_path = ? || substr(root_path, ?) WHERE root_path = ? OR substr(root_path, 1, ?) = ?').run(stageDir, ws.dir.length + 1, ws.dir, prefix.length, prefix);
  } finally {
    db.close();
  }
  chmodSync(partial, 0o600);
  writeFileSync(path.join(stageDir, STAGED_FILE), JSON.stringify({ jobId, workspaceDir: ws.dir, staged: plan.stage } satisfies StagedRecord, null, 2));
  renameSync(partial, path.join(stageDir, 'workbench.db'));
}

/**
 * The host's side of a job on jobRoot: copies what the job wrote into the
 * workspace (`land`), turns the tree's paths in its messages into the
 * workspace's (`rewrite`), and removes the tree when the job has ended (`close`).
 */
export class JobRootLanding {
  /** Files copied this session, with what was copied: a file the job removed later is removed again. */
  private readonly landed = new Map<string, { size: number; mtimeMs: number }>();

  constructor(
    readonly stageDir: string,
    readonly workspaceDir: string,
    readonly jobId: number,
    private readonly staged: readonly string[],
  ) {}

  /** The landing of a tree staged before a restart; null when it has no staging record. */
  static load(stageDir: string): JobRootLanding | null {
    try {
      const r = JSON.parse(readFileSync(path.join(stageDir, STAGED_FILE), 'utf8')) as StagedRecord;
      return new JobRootLanding(stageDir, r.workspaceDir, r.jobId, r.staged);
    } catch {
      return null;
    }
  }

  /** A copy of `value` with the tree's absolute paths turned into the workspace's. */
  rewrite<T>(value: T): T {
    const from = this.stageDir;
    const map = (v: unknown): unknown => {
      if (typeof v === 'string') return v === from ? this.workspaceDir : v.startsWith(from + path.sep) ? this.workspaceDir + v.slice(from.length) : v;
      if (Array.isArray(v)) return v.map(map);
      if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, map(x)]));
      return v;
    };
    return map(value) as T;
  }

  /**
   * Copies every file the job wrote under the tree's `artifacts/` (not the
   * staged inputs, not the live channel, not `.tmp` files being written) that
   * is new or changed into the same place in the workspace: beside it, then
   * renamed over it. Returns how many files were copied.
   */
  land(): number {
    const root = path.join(this.stageDir, 'artifacts');
    if (!existsSync(root)) return 0;
    const skip = [...this.staged.map((s) => path.join(this.stageDir, s)), channelOf(this.stageDir, this.jobId)];
    const present = new Set<string>();
    let copied = 0;
    const visit = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const src = path.join(dir, entry.name);
        if (skip.some((s) => isUnder(src, s))) continue;
        if (entry.isDirectory()) {
          visit(src);
          continue;
        }
        if (!entry.isFile() || /\.(tmp|partial)$/.test(entry.name)) continue;
        const rel = path.relative(this.stageDir, src);
        present.add(rel);
        const st = statSync(src);
        const dst = path.join(this.workspaceDir, rel);
        const before = this.landed.get(rel);
        if (before && before.size === st.size && before.mtimeMs === st.mtimeMs) continue;
        if (!before && existsSync(dst)) {
          const d = statSync(dst);
          if (d.size === st.size && Math.trunc(d.mtimeMs) === Math.trunc(st.mtimeMs)) {
            this.landed.set(rel, { size: st.size, mtimeMs: st.mtimeMs });
            continue;
          }
        }
        mkdirSync(path.dirname(dst), { recursive: true });
        const tmp = `${dst}.landing-${process.pid}`;
        copyFileSync(src, tmp);
        utimesSync(tmp, st.atime, st.mtime);
        renameSync(tmp, dst);
        this.landed.set(rel, { size: st.size, mtimeMs: st.mtimeMs });
        copied++;
      }
    };
    visit(root);
    for (const rel of [...this.landed.keys()]) {
      if (present.has(rel)) continue;
      rmSync(path.join(this.workspaceDir, rel), { force: true });
      this.landed.delete(rel);
    }
    return copied;
  }

  /** After the job's end is stored: the last files, the channel kept with the job for the record, the tree removed. */
  close(): void {
    this.land();
    const channel = channelOf(this.stageDir, this.jobId);
    if (existsSync(channel)) cpSync(channel, path.join(jobFolder(this.workspaceDir, this.jobId), 'slurm'), { recursive: true, force: true });
    rmSync(this.stageDir, { recursive: true, force: true });
  }
}
