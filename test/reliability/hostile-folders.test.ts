/**
 * Hostile-folder regression table: each row builds a folder with real
 * symbolic links, named pipes, sockets or odd names, imports it through the
 * real runner and writer, and states exactly which samples (with their class)
 * come out and which problems are named. Add a row for every probe that once
 * got through.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { ImportProblem } from '../../src-main/common/contract/datasets.ts';
import { Workspace } from '../../src-main/core/workspace.ts';
import { importDirect } from '../datasets/import-helper.ts';
import { cifarRecords, tempDir, writeImage } from '../datasets/fixtures.ts';
import { runWorkbench } from '../helpers/cli.ts';

interface Folder {
  /** The dataset folder (built by the row): <temp>/data. */
  root: string;
  /** A folder outside it, for links that lead out: <temp>/outside. */
  outside: string;
  /** Registers something to undo after the row (a socket server, a helper process). */
  later(undo: () => void): void;
}

interface Row {
  name: string;
  build(f: Folder): Promise<void>;
  followLinksOut?: boolean;
  expect: {
    /** The import fails with this message (naming the file) instead of producing samples. */
    fails?: RegExp;
    /** Every sample as [path, class name], exactly (order ignored). */
    samples: [string, string][];
    /** Problems as [file, code], exactly (order ignored). */
    problems: [string, ImportProblem['code']][];
    /** Samples that must carry a recorded real path (import followed links out), relative to `outside`. */
    realPaths?: Record<string, string>;
  };
}

/** A named pipe, plus a writer that opens it after 3 s: an import that opened the pipe would block that long, then read nothing. */
function fifo(f: Folder, file: string): void {
  execFileSync('mkfifo', [file]);
  const valve: ChildProcess = spawn('sh', ['-c', `sleep 3; : > "${file}"`], { stdio: 'ignore', timeout: 8000 });
  f.later(() => valve.kill('SIGKILL'));
}

async function unixSocket(f: Folder, file: string): Promise<void> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(file, resolve));
  f.later(() => server.close());
}

const table: Row[] = [
  {
    name: 'a link to an ancestor inside a class folder (cls_a/loop_up -> ..) is refused as a whole: no class imported twice under cls_a',
    async build({ root }) {
      await writeImage(`${root}/cls_a/a.jpg`);
      await writeImage(`${root}/cls_b/b1.jpg`);
      await writeImage(`${root}/cls_b/b2.jpg`);
      await writeImage(`${root}/cls_c/c.jpg`);
      symlinkSync('..', `${root}/cls_a/loop_up`);
    },
    expect: {
      samples: [
        ['cls_a/a.jpg', 'cls_a'],
        ['cls_b/b1.jpg', 'cls_b'],
        ['cls_b/b2.jpg', 'cls_b'],
        ['cls_c/c.jpg', 'cls_c'],
      ],
      problems: [['cls_a/loop_up', 'symlink_loop']],
    },
  },
  {
    name: 'a link to a folder already walked is refused as a whole',
    async build({ root }) {
      await writeImage(`${root}/cls_a/a.jpg`);
      await writeImage(`${root}/cls_b/b.jpg`);
      symlinkSync('../cls_a', `${root}/cls_b/again`);
    },
    expect: {
      samples: [
        ['cls_a/a.jpg', 'cls_a'],
        ['cls_b/b.jpg', 'cls_b'],
      ],
      problems: [['cls_b/again', 'duplicate_folder']],
    },
  },
  {
    name: 'a link to a class folder walked later: its files keep their own class, imported once',
    async build({ root }) {
      await writeImage(`${root}/cls_a/a.jpg`);
      await writeImage(`${root}/cls_b/b.jpg`);
      symlinkSync('../cls_b', `${root}/cls_a/more`);
    },
    expect: {
      samples: [
        ['cls_a/a.jpg', 'cls_a'],
        ['cls_b/b.jpg', 'cls_b'],
      ],
      problems: [['cls_a/more/b.jpg', 'duplicate_file']],
    },
  },
  {
    name: 'a file reached twice (a file link to another class) is imported once, under its own folder',
    async build({ root }) {
      await writeImage(`${root}/cls_a/a.jpg`);
      await writeImage(`${root}/cls_b/b.jpg`);
      symlinkSync('../cls_a/a.jpg', `${root}/cls_b/twin.jpg`);
    },
    expect: {
      samples: [
        ['cls_a/a.jpg', 'cls_a'],
        ['cls_b/b.jpg', 'cls_b'],
      ],
      problems: [['cls_b/twin.jpg', 'duplicate_file']],
    },
  },
  {
    name: 'a class folder that is a link to another class folder is refused',
    async build({ root }) {
      await writeImage(`${root}/cls_a/a.jpg`);
      symlinkSync('cls_a', `${root}/cls_z`);
    },
    expect: {
      samples: [['cls_a/a.jpg', 'cls_a']],
      problems: [
        ['cls_z', 'duplicate_folder'],
        ['cls_z', 'empty_folder'],
      ],
    },
  },
  {
    name: 'a link inside the root to a hidden pool folder is followed (files inside the real root)',
    async build({ root }) {
      await writeImage(`${root}/.pool/p.jpg`);
      await writeImage(`${root}/cls_a/a.jpg`);
      symlinkSync('../.pool/p.jpg', `${root}/cls_a/p.jpg`);
    },
    expect: {
      samples: [
        ['cls_a/a.jpg', 'cls_a'],
        ['cls_a/p.jpg', 'cls_a'],
      ],
      problems: [],
    },
  },
  {
    name: 'a link to a system folder (c/sys -> /usr) is refused: outside the dataset root',
    async build({ root }) {
      await writeImage(`${root}/c/x.jpg`);
      symlinkSync('/usr', `${root}/c/sys`);
    },
    expect: { samples: [['c/x.jpg', 'c']], problems: [['c/sys', 'outside_root']] },
  },
  {
    name: 'a link to an image outside the root is refused',
    async build({ root, outside }) {
      await writeImage(`${outside}/secret.jpg`);
      await writeImage(`${root}/cls_a/a.jpg`);
      symlinkSync(`${outside}/secret.jpg`, `${root}/cls_a/out.jpg`);
    },
    expect: { samples: [['cls_a/a.jpg', 'cls_a']], problems: [['cls_a/out.jpg', 'outside_root']] },
  },
  {
    name: 'with followLinksOut, a link out is followed and its real path recorded',
    followLinksOut: true,
    async build({ root, outside }) {
      await writeImage(`${outside}/elsewhere/o.jpg`);
      await writeImage(`${root}/cls_a/a.jpg`);
      symlinkSync(`${outside}/elsewhere`, `${root}/cls_a/linked`);
    },
    expect: {
      samples: [
        ['cls_a/a.jpg', 'cls_a'],
        ['cls_a/linked/o.jpg', 'cls_a'],
      ],
      problems: [],
      realPaths: { 'cls_a/linked/o.jpg': 'elsewhere/o.jpg' },
    },
  },
  {
    name: 'a file list (CUB images.txt) naming a path that climbs out of the root is refused',
    async build({ root, outside }) {
      await writeImage(`${outside}/stolen.jpg`);
      const c = `${root}/CUB_200_2011`;
      await writeImage(`${c}/images/001.A/a.jpg`);
      const up = path.relative(`${c}/images`, `${outside}/stolen.jpg`);
      writeFileSync(`${c}/images.txt`, `1 001.A/a.jpg\n2 ${up}\n`);
      writeFileSync(`${c}/image_class_labels.txt`, '1 1\n2 1\n');
      writeFileSync(`${c}/classes.txt`, '1 001.A\n');
    },
    expect: {
      samples: [['CUB_200_2011/images/001.A/a.jpg', '001.A']],
      problems: [
        ['../outside/stolen.jpg', 'outside_root'],
        ['CUB_200_2011/train_test_split.txt', 'missing_file'],
        ['CUB_200_2011/bounding_boxes.txt', 'missing_file'],
      ],
    },
  },
  {
    name: 'a named pipe called pipe.jpg is skipped, never opened (the import does not hang)',
    async build(f) {
      await writeImage(`${f.root}/cls_a/a.jpg`);
      fifo(f, `${f.root}/cls_a/pipe.jpg`);
    },
    expect: { samples: [['cls_a/a.jpg', 'cls_a']], problems: [['cls_a/pipe.jpg', 'special_file']] },
  },
  {
    name: 'a link to a named pipe is skipped, never opened',
    async build(f) {
      await writeImage(`${f.root}/cls_a/a.jpg`);
      fifo(f, `${f.root}/.fifo`);
      symlinkSync('../.fifo', `${f.root}/cls_a/via.jpg`);
    },
    expect: { samples: [['cls_a/a.jpg', 'cls_a']], problems: [['cls_a/via.jpg', 'special_file']] },
  },
  {
    name: 'a socket is skipped with a named problem',
    async build(f) {
      await writeImage(`${f.root}/cls_a/a.jpg`);
      await unixSocket(f, `${f.root}/cls_a/sock.jpg`);
    },
    expect: { samples: [['cls_a/a.jpg', 'cls_a']], problems: [['cls_a/sock.jpg', 'special_file']] },
  },
  {
    name: 'a device (link to /dev/zero, links out allowed) is skipped, never read',
    followLinksOut: true,
    async build({ root }) {
      await writeImage(`${root}/cls_a/a.jpg`);
      symlinkSync('/dev/zero', `${root}/cls_a/zero.jpg`);
    },
    expect: { samples: [['cls_a/a.jpg', 'cls_a']], problems: [['cls_a/zero.jpg', 'special_file']] },
  },
  {
    name: 'a CIFAR batch that is a named pipe is skipped, the other batches decoded',
    async build(f) {
      writeFileSync(`${f.root}/test_batch.bin`, cifarRecords(2, 1, () => [3]));
      fifo(f, `${f.root}/data_batch_1.bin`);
    },
    expect: {
      samples: [
        ['test_batch.bin#0', 'cat'],
        ['test_batch.bin#1', 'cat'],
      ],
      problems: [['data_batch_1.bin', 'special_file']],
    },
  },
  {
    name: 'a label list (CUB images.txt) that is a named pipe fails the import naming it, without waiting',
    async build(f) {
      const c = `${f.root}/CUB_200_2011`;
      await writeImage(`${c}/images/001.A/a.jpg`);
      fifo(f, `${c}/images.txt`);
      writeFileSync(`${c}/image_class_labels.txt`, '1 1\n');
    },
    expect: { fails: /images\.txt is a named pipe \(FIFO\); not read/, samples: [], problems: [] },
  },
  {
    name: 'a label list (CUB images.txt) linked to a file outside the root fails the import naming it, nothing of it read',
    async build({ root, outside }) {
      const c = `${root}/CUB_200_2011`;
      await writeImage(`${c}/images/001.A/a.jpg`);
      writeFileSync(`${outside}/private.txt`, '1 001.A/a.jpg\nsecret words here\n');
      symlinkSync(`${outside}/private.txt`, `${c}/images.txt`);
      writeFileSync(`${c}/image_class_labels.txt`, '1 1\n');
    },
    expect: { fails: /images\.txt leads out of the dataset folder to .*private\.txt/, samples: [], problems: [] },
  },
  {
    name: 'a class-name list (CIFAR batches.meta.txt) that is a named pipe fails the import naming it',
    async build(f) {
      writeFileSync(`${f.root}/test_batch.bin`, cifarRecords(2, 1, () => [3]));
      fifo(f, `${f.root}/batches.meta.txt`);
    },
    expect: { fails: /batches\.meta\.txt is a named pipe \(FIFO\); not read/, samples: [], problems: [] },
  },
  {
    name: 'a file name that is not valid UTF-8 is reported by its bytes, not as vanished',
    async build({ root }) {
      await writeImage(`${root}/cls_a/a.jpg`);
      const bad = Buffer.concat([Buffer.from(`${root}/cls_a/bad`), Buffer.from([0x80, 0xff]), Buffer.from('.jpg')]);
      writeFileSync(bad, 'x');
    },
    expect: { samples: [['cls_a/a.jpg', 'cls_a']], problems: [['cls_a/bad\\x80\\xff.jpg', 'bad_name']] },
  },
];

describe('hostile folders', () => {
  let ws: Workspace;
  const dirs: string[] = [];
  beforeAll(() => {
    ws = Workspace.open(tempDir('wb-ws-'));
  });
  afterAll(() => {
    ws.close();
    for (const d of [ws.dir, ...dirs]) rmSync(d, { recursive: true, force: true });
  });

  it.each(table.map((r) => [r.name, r] as const))('%s', async (_name, row) => {
    const base = tempDir('wb-hostile-');
    dirs.push(base);
    const root = path.join(base, 'data');
    const outside = path.join(base, 'outside');
    mkdirSync(root);
    mkdirSync(outside);
    const undo: (() => void)[] = [];
    try {
      await row.build({ root, outside, later: (u) => undo.push(u) });
      const started = Date.now();
      const params = { path: root, ...(row.followLinksOut ? { followLinksOut: true } : {}) };
      if (row.expect.fails) {
        await expect(importDirect(ws, params)).rejects.toThrow(row.expect.fails);
        expect(Date.now() - started).toBeLessThan(2500);
        return;
      }
      const result = await importDirect(ws, params);
      // Nothing blocked on a pipe (the pipe's writer only shows up after 3 s).
      expect(Date.now() - started).toBeLessThan(2500);
      const id = result.report.datasetId!;
      const rows = ws.db
        .prepare('SELECT s.path, c.name AS cls, s.real_path FROM samples s LEFT JOIN classes c ON c.dataset_id = s.dataset_id AND c.idx = s.label WHERE s.dataset_id = ?')
        .all(id) as { path: string; cls: string; real_path: string | null }[];
      expect(rows.map((r) => [r.path, r.cls]).sort()).toEqual([...row.expect.samples].sort());
      expect(result.report.problems.map((p) => [p.file, p.code]).sort()).toEqual([...row.expect.problems].sort());
      const realOut = realpathSync(outside);
      const wantReal = Object.fromEntries(Object.entries(row.expect.realPaths ?? {}).map(([k, v]) => [k, path.join(realOut, v)]));
      expect(Object.fromEntries(rows.filter((r) => r.real_path !== null).map((r) => [r.path, r.real_path]))).toEqual(wantReal);
    } finally {
      for (const u of undo) u();
    }
  });
});

describe('following links out from the command line', () => {
  it('refuses a link out without --follow-links-out and follows it (recording where) with it', async () => {
    const base = tempDir('wb-cli-links-');
    try {
      await writeImage(`${base}/data/cls_a/a.jpg`);
      await writeImage(`${base}/outside/o.jpg`);
      symlinkSync(`${base}/outside/o.jpg`, `${base}/data/cls_a/o.jpg`);
      const importWith = async (flags: string[]): Promise<{ counts: { samples: number }; problems: { file: string; code: string }[] }> => {
        const r = await runWorkbench(['--workspace', `${base}/ws`, '--json', 'datasets', 'import', `${base}/data`, '--allow-duplicate', ...flags], { timeoutMs: 120_000 });
        expect(r.code, r.stderr).toBe(0);
        return JSON.parse(r.stdout) as { counts: { samples: number }; problems: { file: string; code: string }[] };
      };
      const refused = await importWith([]);
      expect(refused.counts.samples).toBe(1);
      expect(refused.problems.map((p) => [p.file, p.code])).toEqual([['cls_a/o.jpg', 'outside_root']]);
      const followed = await importWith(['--follow-links-out']);
      expect(followed.counts.samples).toBe(2);
      expect(followed.problems).toEqual([]);
      const stored = Workspace.open(`${base}/ws`);
      try {
        const rows = stored.db.prepare("SELECT real_path FROM samples WHERE path = 'cls_a/o.jpg'").all() as { real_path: string | null }[];
        expect(rows).toEqual([{ real_path: realpathSync(`${base}/outside/o.jpg`) }]);
      } finally {
        stored.close();
      }
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
