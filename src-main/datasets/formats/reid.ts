import { existsSync } from 'node:fs';
import path from 'node:path';
import type { DatasetFormat } from '../../common/contract/datasets.ts';
import type { FormatImporter, ImportContext, IndexedSample } from './types.ts';
import { fileNames, indexImages, readTextFile, subdirs, walkFiles } from './files.ts';

/** Parsed re-ID file name. Person -1 = junk (ignored in evaluation), 0 = distractor (kept as a negative). */
export interface ReidName {
  personId: number;
  camera: number;
  sequence: number | null;
  frame: number;
  box: number | null;
}

/** Market-1501: `0002_c1s1_000451_03.jpg` = person 0002, camera 1, sequence 1, frame 451, box 03. */
const marketPattern = /^(-1|\d{4})_c(\d)s(\d)_(\d+)_(\d+)\.jpg$/i;
/** DukeMTMC-reID: `0001_c2_f0046182.jpg` = person 0001, camera 2, frame 46182. */
const dukePattern = /^(-1|\d{4})_c(\d)_f(\d+)\.jpg$/i;

export function parseMarketName(name: string): ReidName | null {
  const m = marketPattern.exec(name);
  if (!m) return null;
  return { personId: Number(m[1]), camera: Number(m[2]), sequence: Number(m[3]), frame: Number(m[4]), box: Number(m[5]) };
}

/** MSMT17: `0367_010_10_0303noon_0606_2.jpg` = person 0367, index 010, camera 10, date 0303 noon, frame 0606, box 2 (`_ex` marks an extra crop). */
const msmtPattern = /^(\d{4})_(\d{3})_(\d{2})_(\d{4})(morning|noon|afternoon)_(\d{4})_(\d+)(_ex)?\.jpg$/i;

export function parseMsmtName(name: string): ReidName | null {
  const m = msmtPattern.exec(name);
  if (!m) return null;
  return { personId: Number(m[1]), camera: Number(m[3]), sequence: Number(m[2]), frame: Number(m[6]), box: Number(m[7]) };
}

export function parseDukeName(name: string): ReidName | null {
  const m = dukePattern.exec(name);
  if (!m) return null;
  return { personId: Number(m[1]), camera: Number(m[2]), sequence: null, frame: Number(m[3]), box: null };
}

const splitFolders: Record<string, string> = { bounding_box_train: 'train', bounding_box_test: 'gallery', query: 'query' };
/** MSMT17_V1 keeps per-person folders under train/ and test/; list_query.txt / list_gallery.txt split test. */
const msmtSplitFolders: Record<string, string> = { train: 'train', test: 'test', mask_train_v2: 'train', mask_test_v2: 'test' };

export const dukeWithdrawnWarning =
  'DukeMTMC-reID was withdrawn by its authors in 2019; check that your use is permitted before publishing results on it.';

function reidImporter(format: DatasetFormat, title: string, parse: (name: string) => ReidName | null, cameraRange: [number, number], example: string): FormatImporter {
  const matchShare = (names: string[]): number => {
    const images = names.filter((n) => n.toLowerCase().endsWith('.jpg')).slice(0, 200);
    return images.length === 0 ? 0 : images.filter((n) => parse(n) !== null).length / images.length;
  };
  return {
    format,
    title,
    layout: `root/{bounding_box_train,bounding_box_test,query}/${example} (or one folder of such files)`,
    decoded: false,
    detect(root) {
      const dirs = subdirs(root).filter((d) => d in splitFolders);
      if (dirs.length > 0) {
        const share = matchShare(dirs.flatMap((d) => fileNames(path.join(root, d)).slice(0, 100)));
        // The split folder names are strong evidence already: most (not all) names must parse.
        return share > 0.5 ? { score: 0.95, reason: `${dirs.join(', ')} with ${title} file names` } : null;
      }
      const share = matchShare(fileNames(root));
      return share > 0.8 ? { score: 0.8, reason: `a folder of ${title} file names (no split folders)` } : null;
    },
    async run(ctx: ImportContext) {
      if (format === 'dukemtmc') ctx.warn(dukeWithdrawnWarning);
      const dirs = subdirs(ctx.root).filter((d) => d in splitFolders);
      const groups = dirs.length > 0 ? dirs.map((d) => ({ dir: path.join(ctx.root, d), split: splitFolders[d]! })) : [{ dir: ctx.root, split: null as string | null }];
      if (dirs.length === 0) ctx.warn('No bounding_box_train / bounding_box_test / query folders: samples have no split. Make a query/gallery split on the Splits tab (or `workbench datasets split`).');
      const skipped = subdirs(ctx.root).filter((d) => !(d in splitFolders));
      if (dirs.length > 0 && skipped.length > 0) ctx.warn(`Folders not imported (not bounding_box_train / bounding_box_test / query): ${skipped.join(', ')}.`);
      const samples: IndexedSample[] = [];
      for (const g of groups) {
        const files = await walkFiles(ctx, g.dir, (emptyRel) => ctx.problem(emptyRel, 'empty_folder', 'empty folder'));
        if (files.length === 0) ctx.problem(path.relative(ctx.root, g.dir) || '.', 'empty_folder', 'folder holds no images');
        samples.push(
          ...(await indexImages(ctx, files, (p) => {
            const parsed = parse(path.posix.basename(p));
            if (!parsed) {
              ctx.problem(p, 'bad_name', `name does not follow the ${title} pattern ${example}; skipped`);
              return null;
            }
            if (parsed.camera < cameraRange[0] || parsed.camera > cameraRange[1]) {
              ctx.problem(p, 'bad_name', `camera ${parsed.camera} outside ${cameraRange[0]}-${cameraRange[1]}; skipped`);
              return null;
            }
            const extra: Record<string, unknown> = {};
            if (parsed.personId === -1) extra.junk = true;
            if (parsed.personId === 0) extra.distractor = true;
            if (parsed.box !== null) extra.box = parsed.box;
            return {
              path: p,
              split: g.split,
              label: null,
              personId: parsed.personId,
              camera: parsed.camera,
              sequence: parsed.sequence,
              frame: parsed.frame,
              extra: Object.keys(extra).length > 0 ? extra : null,
            };
          })),
        );
      }
      const junk = samples.filter((s) => s.personId === -1).length;
      const distractors = samples.filter((s) => s.personId === 0).length;
      return { samples, classes: [], blob: null, extra: { junk, distractors } };
    },
  };
}

export const market1501 = reidImporter('market1501', 'Market-1501', parseMarketName, [1, 6], '0002_c1s1_000451_03.jpg');
export const dukemtmc = reidImporter('dukemtmc', 'DukeMTMC-reID', parseDukeName, [1, 8], '0001_c2_f0046182.jpg');

function readListNames(ctx: ImportContext, file: string): Set<string> | null {
  if (!existsSync(file)) return null;
  // Lines are "<folder>/<file> <label>"; the file name alone identifies the image.
  return new Set(
    readTextFile(ctx, file)
      .split(/\r?\n/)
      .map((l) => l.trim().split(/\s+/)[0] ?? '')
      .filter((l) => l.length > 0)
      .map((l) => path.posix.basename(l)),
  );
}

export const msmt17: FormatImporter = {
  format: 'msmt17',
  title: 'MSMT17',
  layout: 'root/{train,test}/<person>/0367_010_10_0303noon_0606_2.jpg with list_query.txt / list_gallery.txt (or one folder of such files)',
  decoded: false,
  detect(root) {
    const dirs = subdirs(root).filter((d) => d in msmtSplitFolders);
    const names = dirs.length > 0 ? dirs.flatMap((d) => subdirs(path.join(root, d)).slice(0, 3).flatMap((p) => fileNames(path.join(root, d, p)).slice(0, 20))) : fileNames(root);
    const images = names.filter((n) => n.toLowerCase().endsWith('.jpg')).slice(0, 200);
    const share = images.length === 0 ? 0 : images.filter((n) => parseMsmtName(n) !== null).length / images.length;
    if (share <= (dirs.length > 0 ? 0.5 : 0.8)) return null;
    return { score: dirs.length > 0 ? 0.95 : 0.8, reason: dirs.length > 0 ? `${dirs.join(', ')} with MSMT17 file names` : 'a folder of MSMT17 file names (no split folders)' };
  },
  async run(ctx) {
    const dirs = subdirs(ctx.root).filter((d) => d in msmtSplitFolders);
    const groups = dirs.length > 0 ? dirs.map((d) => ({ dir: path.join(ctx.root, d), split: msmtSplitFolders[d]! })) : [{ dir: ctx.root, split: null as string | null }];
    if (dirs.length === 0) ctx.warn('No train / test folders: samples have no split. Make one on the Splits tab (or `workbench datasets split`).');
    const query = readListNames(ctx, path.join(ctx.root, 'list_query.txt'));
    const gallery = readListNames(ctx, path.join(ctx.root, 'list_gallery.txt'));
    if (dirs.includes('test') && (!query || !gallery)) ctx.warn('list_query.txt / list_gallery.txt missing: test images keep the split "test".');
    const samples: IndexedSample[] = [];
    for (const g of groups) {
      const files = await walkFiles(ctx, g.dir, (emptyRel) => ctx.problem(emptyRel, 'empty_folder', 'empty folder'));
      samples.push(
        ...(await indexImages(ctx, files, (p) => {
          const base = path.posix.basename(p);
          const parsed = parseMsmtName(base);
          if (!parsed || parsed.camera < 1 || parsed.camera > 15) {
            ctx.problem(p, 'bad_name', 'name does not follow the MSMT17 pattern 0367_010_10_0303noon_0606_2.jpg (camera 1-15); skipped');
            return null;
          }
          let split = g.split;
          if (split === 'test' && query && gallery) split = query.has(base) ? 'query' : gallery.has(base) ? 'gallery' : 'test';
          return { path: p, split, label: null, personId: parsed.personId, camera: parsed.camera, sequence: parsed.sequence, frame: parsed.frame, extra: base.includes('_ex') ? { extra: true } : null };
        })),
      );
    }
    return { samples, classes: [], blob: null, extra: {} };
  },
};
