/**
 * The one order a split's parts are shown in, wherever they are listed (the dataset
 * view's Splits tab and list, the split pickers, the CLI's text output): train, val,
 * test, then re-ID's query and gallery, then any other part alphabetically, and last the
 * samples in no part ("none", "(none)"). Stored order is insertion order, which says
 * nothing ("test · val · train"). Only text is ordered: `--json` and the contract keep
 * the objects as they are.
 */

const known = ['train', 'val', 'test', 'query', 'gallery'];
const unassigned = ['none', '(none)'];

function rank(part: string): number {
  const i = known.indexOf(part);
  if (i >= 0) return i;
  return unassigned.includes(part) ? known.length + 1 : known.length;
}

/** Compares two part names in the shown order. */
export function comparePartNames(a: string, b: string): number {
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** Part names in the shown order (a new array). */
export function orderedPartNames(parts: Iterable<string>): string[] {
  return [...parts].sort(comparePartNames);
}

/** A split's `[part, count]` pairs in the shown order. */
function orderedParts(counts: Record<string, number>): [string, number][] {
  return Object.entries(counts).sort(([a], [b]) => comparePartNames(a, b));
}

/** "train 24, val 3, test 3": the parts in the shown order, joined by `separator`. */
export function partsText(counts: Record<string, number>, separator = ', ', label: (part: string) => string = (p) => p): string {
  return orderedParts(counts)
    .map(([k, v]) => `${label(k)} ${v}`)
    .join(separator);
}

/**
 * The notice of a split that left classes without an image in a part (the answer's
 * `classesWithout`), one sentence per part, as the UI and the CLI show it: 'The test
 * part has no image of 2 classes: "okapi", "tapir" (too few images for the share); test
 * results will not cover them.'
 */
export function classesWithoutText(without: { part: string; classes: string[]; total: number }): string {
  const listed = without.classes.map((c) => `"${c}"`);
  if (without.total > without.classes.length) listed.push(`${without.total - without.classes.length} more`);
  const one = without.total === 1;
  return `The ${without.part} part has no image of ${one ? 'class' : `${without.total} classes:`} ${listed.join(', ')} (too few images for the share); ${without.part} results will not cover ${one ? 'it' : 'them'}.`;
}
