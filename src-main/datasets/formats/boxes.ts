import { existsSync } from 'node:fs';
import path from 'node:path';
import type { FormatImporter, ImportContext, IndexedSample } from './types.ts';
import { fileNames, indexImages, isImageName, readTextFile, subdirs, walkFiles } from './files.ts';

type Box = [number, number, number, number];

/** Clips a box [x0,y0,x1,y1] to the image; null when nothing is left. */
export function clipBox(b: Box, width: number, height: number): Box | null {
  const x0 = Math.max(0, Math.min(width, b[0]));
  const y0 = Math.max(0, Math.min(height, b[1]));
  const x1 = Math.max(0, Math.min(width, b[2]));
  const y1 = Math.max(0, Math.min(height, b[3]));
  return x1 > x0 && y1 > y0 ? [x0, y0, x1, y1] : null;
}

function lines(ctx: ImportContext, file: string): string[] {
  return readTextFile(ctx, file).split(/\r?\n/).filter((l) => l.trim().length > 0);
}

/** CUB-200-2011 keeps everything in CUB_200_2011/ inside the archive's folder. */
function cubDir(root: string): string | null {
  const want = (d: string): boolean => existsSync(path.join(d, 'images.txt')) && existsSync(path.join(d, 'image_class_labels.txt'));
  if (want(root)) return root;
  for (const d of subdirs(root)) if (want(path.join(root, d))) return path.join(root, d);
  return null;
}

function clipAll(ctx: ImportContext, s: IndexedSample, boxes: Box[]): Box[] | null {
  if (boxes.length === 0) return null;
  const out: Box[] = [];
  for (const b of boxes) {
    const c = clipBox(b, s.width!, s.height!);
    if (c) out.push(c);
    else ctx.problem(s.path, 'bad_line', `box ${b.join(',')} lies outside the ${s.width}x${s.height} image; dropped`);
  }
  return out.length > 0 ? out : null;
}

export const cub200: FormatImporter = {
  format: 'cub200',
  title: 'CUB-200-2011 (with boxes)',
  layout: 'images.txt, image_class_labels.txt, train_test_split.txt, bounding_boxes.txt, classes.txt, images/<class>/<image>',
  decoded: false,
  detect(root) {
    const dir = cubDir(root);
    return dir ? { score: 1, reason: 'images.txt and image_class_labels.txt (CUB-200-2011)' } : null;
  },
  async run(ctx) {
    const dir = cubDir(ctx.root)!;
    const relDir = path.relative(ctx.root, dir);
    const read = (name: string, required: boolean): string[] | null => {
      const f = path.join(dir, name);
      ctx.seen();
      if (!existsSync(f)) {
        if (required) throw new Error(`${f} is missing: CUB-200-2011 needs it.`);
        ctx.problem(path.join(relDir, name), 'missing_file', `${name} not found; ${name === 'train_test_split.txt' ? 'no splits' : name === 'bounding_boxes.txt' ? 'no boxes' : 'numbered class names'}`);
        return null;
      }
      return lines(ctx, f);
    };
    const imageLines = read('images.txt', true)!;
    const labelLines = read('image_class_labels.txt', true)!;
    const splitLines = read('train_test_split.txt', false);
    const boxLines = read('bounding_boxes.txt', false);
    const classLines = read('classes.txt', false);
    const parse = (ls: string[] | null, file: string): Map<string, string[]> => {
      const m = new Map<string, string[]>();
      for (const l of ls ?? []) {
        const parts = l.trim().split(/\s+/);
        if (parts.length < 2) ctx.problem(file, 'bad_line', `line "${l}" has fewer than 2 fields; skipped`);
        else m.set(parts[0]!, parts.slice(1));
      }
      return m;
    };
    const images = parse(imageLines, 'images.txt');
    const labels = parse(labelLines, 'image_class_labels.txt');
    const splits = parse(splitLines, 'train_test_split.txt');
    const boxes = parse(boxLines, 'bounding_boxes.txt');
    const classNames = [...parse(classLines, 'classes.txt').entries()].sort((a, b) => Number(a[0]) - Number(b[0])).map(([, v]) => v.join(' '));
    for (const id of labels.keys()) if (!images.has(id)) ctx.problem('image_class_labels.txt', 'label_mismatch', `image id ${id} has a label but is not in images.txt`);
    let maxLabel = -1;
    const byPath = new Map<string, { id: string; label: number | null; split: string | null; box: Box | null }>();
    for (const [id, [file]] of images) {
      const relPath = path.posix.join(relDir.split(path.sep).join('/'), 'images', file!);
      const l = labels.get(id);
      if (!l) ctx.problem(relPath, 'label_mismatch', `image id ${id} has no line in image_class_labels.txt; imported without a label`);
      const label = l ? Number(l[0]) - 1 : null; // CUB class ids are 1-based
      if (label !== null) maxLabel = Math.max(maxLabel, label);
      const s = splits.get(id);
      const b = boxes.get(id)?.map(Number);
      byPath.set(relPath, {
        id,
        label,
        split: s ? (s[0] === '1' ? 'train' : 'test') : null,
        box: b && b.length === 4 && b.every(Number.isFinite) ? [b[0]!, b[1]!, b[0]! + b[2]!, b[1]! + b[3]!] : null,
      });
    }
    const files = [...byPath.keys()].filter((p) => {
      if (existsSync(path.join(ctx.root, p))) return true;
      ctx.problem(p, 'missing_file', 'listed in images.txt but not on disk');
      return false;
    });
    const samples = await indexImages(ctx, files, (p) => {
      const e = byPath.get(p)!;
      return { path: p, split: e.split, label: e.label, extra: { cubId: Number(e.id) } };
    });
    for (const s of samples) {
      const box = byPath.get(s.path)!.box;
      s.boxes = box ? clipAll(ctx, s, [box]) : null;
    }
    const classes = classNames.length > maxLabel ? classNames : Array.from({ length: maxLabel + 1 }, (_, i) => classNames[i] ?? `class_${i + 1}`);
    return { samples, classes, blob: null, extra: {} };
  },
};

/** Box list files next to the images: `file,x0,y0,x1,y1` per line (several lines per file allowed). */
const boxFileNames = ['boxes.txt', 'boxes.csv', 'bboxes.txt', 'bboxes.csv'];

function classNamesFrom(ctx: ImportContext): string[] | null {
  const root = ctx.root;
  const synsets = path.join(root, 'synset_words.txt');
  if (existsSync(synsets)) {
    // "n01440764 tench, Tinca tinca" -> "tench"
    return lines(ctx, synsets).map((l) => l.replace(/^\S+\s+/, '').split(',')[0]!.trim());
  }
  const classes = path.join(root, 'classes.txt');
  return existsSync(classes) ? lines(ctx, classes).map((l) => l.trim()) : null;
}

export const boxList: FormatImporter = {
  format: 'boxlist',
  title: 'Images with a box list',
  layout: 'boxes.txt (file,x0,y0,x1,y1 in original coordinates) next to images/ or the images; optional labels.txt (<file> <class>), synset_words.txt or classes.txt',
  decoded: false,
  detect(root) {
    const f = boxFileNames.find((n) => existsSync(path.join(root, n)));
    return f ? { score: 0.9, reason: `${f} with one box per line` } : null;
  },
  async run(ctx) {
    const boxFile = boxFileNames.find((n) => existsSync(path.join(ctx.root, n)))!;
    ctx.seen();
    const imageDir = existsSync(path.join(ctx.root, 'images')) ? 'images' : '';
    const boxesByName = new Map<string, Box[]>();
    for (const [i, l] of lines(ctx, path.join(ctx.root, boxFile)).entries()) {
      const parts = l.split(',').map((p) => p.trim());
      const nums = parts.slice(1).map(Number);
      if (parts.length !== 5 || !nums.every(Number.isFinite)) {
        ctx.problem(`${boxFile}:${i + 1}`, 'bad_line', `expected file,x0,y0,x1,y1, got "${l}"`);
        continue;
      }
      const list = boxesByName.get(parts[0]!) ?? [];
      list.push(nums as Box);
      boxesByName.set(parts[0]!, list);
    }
    const labels = new Map<string, number>();
    const labelFile = path.join(ctx.root, 'labels.txt');
    if (existsSync(labelFile)) {
      ctx.seen();
      for (const [i, l] of lines(ctx, labelFile).entries()) {
        const [name, idx] = l.trim().split(/[\s,]+/);
        if (!name || idx === undefined || !/^\d+$/.test(idx)) ctx.problem(`labels.txt:${i + 1}`, 'bad_line', `expected "<file> <class index>", got "${l}"`);
        else labels.set(name, Number(idx));
      }
    }
    const names = classNamesFrom(ctx);
    const all = imageDir ? await walkFiles(ctx, path.join(ctx.root, imageDir)) : fileNames(ctx.root).filter(isImageName);
    const files = all.filter((f) => isImageName(f) || imageDir !== '');
    const present = new Set(files.map((f) => path.posix.basename(f)));
    for (const name of boxesByName.keys()) if (!present.has(name)) ctx.problem(name, 'missing_file', `${boxFile} lists a box for a file that is not there`);
    for (const name of labels.keys()) if (!present.has(name)) ctx.problem(name, 'label_mismatch', 'labels.txt names a file that is not there');
    const samples = await indexImages(ctx, files, (p) => ({ path: p, split: null, label: labels.get(path.posix.basename(p)) ?? null }));
    for (const s of samples) s.boxes = clipAll(ctx, s, boxesByName.get(path.posix.basename(s.path)) ?? []);
    const maxLabel = Math.max(-1, ...samples.map((s) => s.label ?? -1));
    const classes = names && names.length > maxLabel ? names : Array.from({ length: maxLabel + 1 }, (_, i) => names?.[i] ?? String(i));
    return { samples, classes, blob: null, extra: { boxFile, imageDir: imageDir || '.' } };
  },
};
