import type { DatasetFormat } from '../../common/contract/datasets.ts';
import type { FormatImporter } from './types.ts';
import { imageFolder } from './imagefolder.ts';
import { domainFolders } from './domains.ts';
import { market1501, dukemtmc } from './reid.ts';
import { cifar10, cifar100 } from './cifar.ts';
import { idx } from './idx.ts';
import { cub200, boxList } from './boxes.ts';

/** Every format the importer knows; detection asks each and takes the best score. */
export const importers: ReadonlyMap<DatasetFormat, FormatImporter> = new Map(
  [imageFolder, cifar10, cifar100, idx, market1501, dukemtmc, domainFolders, cub200, boxList].map((f) => [f.format, f]),
);

export function detectFormats(root: string): { format: DatasetFormat; score: number; reason: string }[] {
  const out: { format: DatasetFormat; score: number; reason: string }[] = [];
  for (const imp of importers.values()) {
    const d = imp.detect(root);
    if (d) out.push({ format: imp.format, ...d });
  }
  return out.sort((a, b) => b.score - a.score);
}
