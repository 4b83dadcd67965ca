import path from 'node:path';
import type { DatasetFormat } from '../../common/contract/datasets.ts';
import { subdirs } from './files.ts';
import type { FormatImporter } from './types.ts';
import { imageFolder } from './imagefolder.ts';
import { domainFolders } from './domains.ts';
import { market1501, dukemtmc, msmt17 } from './reid.ts';
import { cifar10, cifar100 } from './cifar.ts';
import { idx } from './idx.ts';
import { cub200, boxList } from './boxes.ts';

/** Every format the importer knows; detection asks each and takes the best score. */
export const importers: ReadonlyMap<DatasetFormat, FormatImporter> = new Map(
  [imageFolder, cifar10, cifar100, idx, market1501, dukemtmc, msmt17, domainFolders, cub200, boxList].map((f) => [f.format, f]),
);

export function detectFormats(root: string): { format: DatasetFormat; score: number; reason: string }[] {
  const out: { format: DatasetFormat; score: number; reason: string }[] = [];
  for (const imp of importers.values()) {
    const d = imp.detect(root);
    if (d) out.push({ format: imp.format, ...d });
  }
  return out.sort((a, b) => b.score - a.score);
}

/**
 * Archives often unpack into one wrapper folder (Market-1501-v15.09.15/...):
 * when the chosen folder holds exactly one subfolder that fits a format better,
 * that subfolder is the dataset root.
 */
export function unwrapRoot(root: string, requested: DatasetFormat | 'auto'): string {
  if (requested !== 'auto') return root;
  const dirs = subdirs(root);
  if (dirs.length !== 1) return root;
  // A lone folder also looks like "one class" to the class-folder detector; prefer a better fit inside.
  const outer = detectFormats(root)[0]?.score ?? 0;
  const inner = detectFormats(path.join(root, dirs[0]!))[0]?.score ?? 0;
  return inner > outer ? path.join(root, dirs[0]!) : root;
}

/**
 * Class folders that are datasets of another layout themselves (a re-ID set, CIFAR binaries, a box
 * list...): the sign that a folder of several datasets is being imported as one class-folder set
 * (their names would become its classes). Looks at the first `limit` folders only, so a 1,000-class
 * set costs little.
 */
export function datasetsAmongClasses(root: string, classes: readonly string[], limit = 32): string[] {
  return classes.slice(0, limit).flatMap((c) => {
    const inner = detectFormats(path.join(root, c)).find((d) => d.format !== 'imagefolder' && d.format !== 'domains');
    return inner ? [`${c} (${importers.get(inner.format)!.title})`] : [];
  });
}
