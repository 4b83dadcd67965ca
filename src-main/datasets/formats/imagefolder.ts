import path from 'node:path';
import type { FormatImporter, ImportContext, IndexedSample } from './types.ts';
import { fileNames, indexImages, isImageName, subdirs, walkFiles } from './files.ts';

const splitNames: Record<string, string> = { train: 'train', training: 'train', val: 'val', valid: 'val', validation: 'val', test: 'test', testing: 'test' };

/** Whether a folder holds class folders with images (looks at a few only, to stay cheap). */
export function looksLikeClassFolders(dir: string): boolean {
  const classes = subdirs(dir);
  if (classes.length === 0) return false;
  return classes.slice(0, 5).some((c) => fileNames(path.join(dir, c)).some(isImageName) || subdirs(path.join(dir, c)).length > 0);
}

/** Class folders of `dir`: images under `dir/<class>/**` labelled by class name. */
export async function indexClassFolders(
  ctx: ImportContext,
  dir: string,
  classIndex: Map<string, number>,
  fixed: { split: string | null; domain: string | null },
): Promise<IndexedSample[]> {
  const out: IndexedSample[] = [];
  for (const cls of subdirs(dir)) {
    const files = await walkFiles(ctx, path.join(dir, cls), (emptyRel) => ctx.problem(emptyRel, 'empty_folder', 'empty folder'));
    if (files.length === 0) {
      ctx.problem(path.relative(ctx.root, path.join(dir, cls)).split(path.sep).join('/'), 'empty_folder', `class folder "${cls}" holds no files`);
    }
    const label = classIndex.get(cls)!;
    out.push(...(await indexImages(ctx, files, (p) => ({ path: p, split: fixed.split, label, domain: fixed.domain }))));
  }
  // Loose files directly in `dir` belong to no class.
  for (const f of fileNames(dir)) {
    const relPath = path.relative(ctx.root, path.join(dir, f)).split(path.sep).join('/');
    if (!f.startsWith('.')) ctx.problem(relPath, isImageName(f) ? 'bad_name' : 'not_an_image', 'file outside any class folder; skipped');
  }
  return out;
}

export const imageFolder: FormatImporter = {
  format: 'imagefolder',
  title: 'Class folders (ImageFolder)',
  layout: 'root/<class>/<image>, optionally root/{train,val,test}/<class>/<image>',
  decoded: false,
  detect(root) {
    const dirs = subdirs(root);
    const splits = dirs.filter((d) => d.toLowerCase() in splitNames);
    if (splits.length > 0 && splits.some((s) => looksLikeClassFolders(path.join(root, s)))) {
      return { score: 0.6, reason: `split folders ${splits.join(', ')} holding class folders` };
    }
    if (dirs.length > 0 && looksLikeClassFolders(root)) return { score: 0.4, reason: `${dirs.length} class folders with images` };
    return null;
  },
  async run(ctx) {
    const dirs = subdirs(ctx.root);
    const splitDirs = dirs.filter((d) => d.toLowerCase() in splitNames && looksLikeClassFolders(path.join(ctx.root, d)));
    const parents = splitDirs.length > 0 ? splitDirs.map((d) => ({ dir: path.join(ctx.root, d), split: splitNames[d.toLowerCase()]! })) : [{ dir: ctx.root, split: null }];
    if (splitDirs.length > 0) {
      for (const d of dirs) if (!splitDirs.includes(d)) ctx.problem(d, 'bad_name', `folder "${d}" is not a split folder (train/val/test); skipped`);
    }
    // Class indices follow the sorted union of class names over all splits (torchvision's order).
    const names = [...new Set(parents.flatMap((p) => subdirs(p.dir)))].sort();
    const classIndex = new Map(names.map((n, i) => [n, i]));
    const samples: IndexedSample[] = [];
    for (const p of parents) samples.push(...(await indexClassFolders(ctx, p.dir, classIndex, { split: p.split, domain: null })));
    return { samples, classes: names, blob: null, extra: {} };
  },
};
