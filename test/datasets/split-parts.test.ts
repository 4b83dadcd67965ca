import { describe, expect, it } from 'vitest';
import { classesWithoutText, orderedPartNames, partsText } from '../../src-main/common/split-parts.ts';

/** The one order a split's parts are shown in (Splits tab, pickers, CLI text). */
describe('the shown order of a split\'s parts', () => {
  it.each([
    ['a random split as stored', ['test', 'val', 'train'], ['train', 'val', 'test']],
    ['a re-ID split', ['gallery', 'query', 'train'], ['train', 'query', 'gallery']],
    ['all known parts, shuffled', ['gallery', 'test', 'query', 'train', 'val'], ['train', 'val', 'test', 'query', 'gallery']],
    ['other parts alphabetically after the known ones', ['zeta', 'train', 'extra', 'test'], ['train', 'test', 'extra', 'zeta']],
    ['samples in no part last', ['(none)', 'test', 'train', 'holdout'], ['train', 'test', 'holdout', '(none)']],
    ['the import\'s unassigned samples last', ['none', 'train'], ['train', 'none']],
    ['nothing', [], []],
  ])('%s', (_what, stored, shown) => {
    expect(orderedPartNames(stored)).toEqual(shown);
  });

  it('writes counts in that order, with the caller\'s separator and labels, without touching the object', () => {
    const counts = { test: 3, val: 3, train: 24 };
    expect(partsText(counts)).toBe('train 24, val 3, test 3');
    expect(partsText({ none: 2, train: 5 }, ' · ', (p) => (p === 'none' ? 'no split' : p))).toBe('train 5 · no split 2');
    expect(Object.keys(counts)).toEqual(['test', 'val', 'train']);
  });
});

describe('the notice of classes a part has no image of', () => {
  it.each([
    [{ part: 'test', classes: ['okapi'], total: 1 }, 'The test part has no image of class "okapi" (too few images for the share); test results will not cover it.'],
    [{ part: 'val', classes: ['a', 'b'], total: 2 }, 'The val part has no image of 2 classes: "a", "b" (too few images for the share); val results will not cover them.'],
    [{ part: 'test', classes: ['a', 'b'], total: 25 }, 'The test part has no image of 25 classes: "a", "b", 23 more (too few images for the share); test results will not cover them.'],
  ])('%o', (without, text) => {
    expect(classesWithoutText(without)).toBe(text);
  });
});
