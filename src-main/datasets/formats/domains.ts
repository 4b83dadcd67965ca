import path from 'node:path';
import type { FormatImporter, IndexedSample } from './types.ts';
import { subdirs } from './files.ts';
import { indexClassFolders, looksLikeClassFolders } from './imagefolder.ts';

/** Office-31 keeps class folders under <domain>/images/; plain layouts put them right under <domain>/. */
function classParent(root: string, domain: string): string {
  const d = path.join(root, domain);
  const inner = subdirs(d);
  return inner.length === 1 && inner[0] === 'images' ? path.join(d, 'images') : d;
}

export const domainFolders: FormatImporter = {
  format: 'domains',
  title: 'Domain folders (Office-31 style)',
  layout: 'root/<domain>/<class>/<image> (or root/<domain>/images/<class>/<image>)',
  decoded: false,
  detect(root) {
    const domains = subdirs(root);
    if (domains.length < 2) return null;
    const classSets = domains.map((d) => new Set(subdirs(classParent(root, d))));
    if (!domains.every((d) => looksLikeClassFolders(classParent(root, d)))) return null;
    const first = classSets[0]!;
    const shared = [...first].filter((c) => classSets.every((s) => s.has(c)));
    if (shared.length < Math.max(2, first.size / 2)) return null;
    return { score: 0.5, reason: `${domains.length} domains sharing ${shared.length} class folders` };
  },
  async run(ctx) {
    const domains = subdirs(ctx.root);
    const names = [...new Set(domains.flatMap((d) => subdirs(classParent(ctx.root, d))))].sort();
    const classIndex = new Map(names.map((n, i) => [n, i]));
    const samples: IndexedSample[] = [];
    for (const d of domains) samples.push(...(await indexClassFolders(ctx, classParent(ctx.root, d), classIndex, { split: null, domain: d })));
    return { samples, classes: names, blob: null, extra: { domains } };
  },
};
