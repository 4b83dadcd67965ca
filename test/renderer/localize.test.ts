// @vitest-environment happy-dom
import { describe, it, expect, afterEach } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import LocalizePage from '../../src-renderer/src/localize/LocalizePage.vue';
import type { LocalizeEvalSummary, LocalizeImage } from '../../src-main/common/contract/index.ts';
import { mountWithApi, type Mounted } from './mount-app.ts';

let mounted: Mounted | null = null;
afterEach(() => {
  mounted?.wrapper.unmount();
  mounted = null;
});

const summary: LocalizeEvalSummary = {
  evalJobId: 9, modelId: 3, modelName: 'SPG resnet20', datasetId: 4, split: 'test', selectSplit: 'val', method: 'spg', threshold: 0.2, images: 2, createdAt: '',
  chosenThresholds: [],
  curve: { thresholds: [0, 0.5], ious: [0.3, 0.5, 0.7], accuracy: [[1, 0.8], [0.6, 0.4], [0, 0.2]] },
  rows: [
    { name: 'SPG (SPG resnet20)', top1Cls: 0.9, top1Loc: 0.5, top5Loc: 0.6, gtKnownLoc: 0.6, maxBoxAccV2: 0.55, pxap: 0.4 },
    { name: 'input as map (no learning)', top1Cls: null, top1Loc: null, top5Loc: null, gtKnownLoc: 0.04, maxBoxAccV2: 0.1, pxap: 0.2 },
  ],
};
const images: LocalizeImage[] = [
  { index: 0, sampleId: 100, label: 1, predicted: 1, box: [2, 2, 10, 12], gtBoxes: [[2, 2, 10, 10]], iou: 0.8 },
  { index: 1, sampleId: 101, label: 2, predicted: 0, box: [0, 0, 4, 4], gtBoxes: [[8, 8, 16, 16], [1, 1, 3, 3]], iou: 0.25 },
];

const handlers = {
  'localize.evals': () => [summary],
  'localize.images': ({ order }: { order?: string }) => ({ total: 2, width: 16, height: 16, items: order === 'worstIou' ? [images[1], images[0]] : images }),
  'localize.map': ({ index }: { index: number }) => ({ width: 16, height: 16, values: new Array(256).fill(index * 100) }),
};

describe('Localization page', () => {
  it('shows the protocol table, the image with its boxes, IoU and map; arrow keys and the order move through images', async () => {
    mounted = await mountWithApi(LocalizePage, { handlers });
    await flushPromises();
    const w = mounted.wrapper;
    expect(w.get('[data-test="loc-table"]').text()).toContain('input as map (no learning)');
    expect(w.get('[data-test="loc-table"]').text()).toContain('55.0%');
    // One accuracy-versus-threshold line per IoU: threshold 0.5 -> x 50, accuracy 0.4 -> y 30.
    const lines = w.findAll('[data-test="loc-curve"] polyline');
    expect(lines.map((l) => l.attributes('data-iou'))).toEqual(['0.3', '0.5', '0.7']);
    expect(lines[1]!.attributes('points')).toBe('0.0,20.0 50.0,30.0');
    expect(w.get('[data-test="loc-viewer"] img').attributes('src')).toBe(mounted.api.sampleUrl(100));
    expect(w.get('[data-test="loc-iou"]').text()).toBe('0.80');
    const pred = w.get('[data-test="loc-pred"]');
    expect([pred.attributes('x'), pred.attributes('y'), pred.attributes('width'), pred.attributes('height')]).toEqual(['2', '2', '8', '10']);
    expect(w.findAll('[data-test="loc-gt"]')).toHaveLength(1);
    expect(mounted.api.callsOf('localize.map').at(-1)).toEqual({ evalJobId: 9, index: 0 });

    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight' }));
    await flushPromises();
    expect(w.get('[data-test="loc-iou"]').text()).toBe('0.25');
    expect(w.get('[data-test="loc-info"]').text()).toContain('(wrong)');
    expect(w.findAll('[data-test="loc-gt"]')).toHaveLength(2);
    expect(mounted.api.callsOf('localize.map').at(-1)).toEqual({ evalJobId: 9, index: 1 });

    await w.get('[data-test="loc-order"]').setValue('worstIou');
    await flushPromises();
    expect(mounted.api.callsOf('localize.images').at(-1)).toMatchObject({ evalJobId: 9, order: 'worstIou', filter: 'all' });
    expect(w.get('[data-test="loc-iou"]').text()).toBe('0.25');
  });

  it('says what to do when nothing was evaluated', async () => {
    mounted = await mountWithApi(LocalizePage, { handlers: { ...handlers, 'localize.evals': () => [] } });
    await flushPromises();
    expect(mounted.wrapper.get('[data-test="empty-state"]').text()).toContain('No localization evaluations yet');
  });
});
