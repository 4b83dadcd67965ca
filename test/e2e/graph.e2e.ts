import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Page } from 'playwright-core';
import { hasChromium, openBrowser, screenshot, screenshotDir, type OpenBrowser } from './browser.ts';
import { hostCall, repoRoot, startHost, type RunningHost } from './host.ts';
import { writeClassFolderDataset } from './fixtures.ts';

/** Where the graph screenshots are kept for a person to look at (out/ is the build folder, never committed). */
const shotsDir = path.join(repoRoot, 'out', 'e2e-shots');

/**
 * The model graph view of a model the workspace really trained: a one-epoch SFP run of
 * ResNet-20 on a small class-folder set (soft-pruned: zeroed filters), and its compact model
 * (hard-pruned: fewer filters), each opened at /compare/graph/<id> in Chromium.
 */
describe.skipIf(!hasChromium)('model graph view in the browser host', () => {
  let host: RunningHost;
  let browser: OpenBrowser;
  let dataRoot: string;
  const ids = { sfp: 0, compact: 0 };

  const call = <T>(name: string, request: unknown): Promise<T> => hostCall<T>(host, name, request);
  async function finished(jobId: number): Promise<{ status: string; error: string | null }> {
    for (;;) {
      const job = await call<{ status: string; error: string | null }>('jobs.get', { id: jobId });
      if (!['queued', 'running'].includes(job.status)) return job;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  async function runJob(kind: string, params: unknown): Promise<void> {
    const job = await call<{ id: number }>('jobs.submit', { kind, params });
    const done = await finished(job.id);
    expect(done.status, `${kind}: ${done.error ?? ''}`).toBe('succeeded');
  }
  async function openGraph(page: Page, id: number): Promise<void> {
    await page.evaluate((hash) => (window.location.hash = hash), `#/compare/graph/${id}`);
    await page.waitForSelector('[data-test="model-graph"] svg', { timeout: 30_000 });
  }
  async function keep(page: Page, name: string): Promise<void> {
    await screenshot(page, name);
    await page.screenshot({ path: path.join(shotsDir, `${name}.png`), fullPage: true });
  }

  beforeAll(async () => {
    mkdirSync(shotsDir, { recursive: true });
    [host, dataRoot] = await Promise.all([startHost(), writeClassFolderDataset()]);
    const importJob = await call<{ id: number }>('datasets.import', { path: dataRoot, name: 'graph pets' });
    expect((await finished(importJob.id)).status).toBe('succeeded');
    const [dataset] = await call<{ id: number }[]>('datasets.list', {});
    await runJob('train.run', { name: 'graph sfp', dataset: { id: dataset!.id }, model: { arch: 'resnet20' }, epochs: 1, batchSize: 12, prune: { method: 'sfp', rate: 0.3, bnRecalibrationBatches: 1 } });
    const [sfp] = await call<{ id: number }[]>('models.list', { method: 'sfp' });
    ids.sfp = sfp!.id;
    await runJob('models.compact', { modelId: ids.sfp, benchBatch: 2 });
    const [compact] = await call<{ id: number }[]>('models.list', { method: 'compact' });
    ids.compact = compact!.id;
    browser = await openBrowser();
    await browser.page.goto(host.url);
    await browser.page.waitForSelector('[data-test="engine"]', { timeout: 30_000 });
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await host?.stop();
    if (dataRoot) rmSync(dataRoot, { recursive: true, force: true });
    console.log(`[e2e] screenshots in ${screenshotDir} and ${shotsDir}`);
  });

  it('draws the soft-pruned model: every node a box, the pruned convs highlighted, residual edges', async () => {
    const { page } = browser;
    await openGraph(page, ids.sfp);
    const graph = await call<{ nodes: { name: string; width: { pruned: boolean } | null }[]; prunedConvs: number }>('models.graph', { id: ids.sfp });
    const boxes = page.locator('[data-test="model-graph"] svg g.box:not(.group)');
    // ResNet-20 has fewer than 200 nodes: it opens expanded, one box per node.
    expect(await boxes.count()).toBe(graph.nodes.length);
    expect(graph.prunedConvs).toBeGreaterThan(0);
    expect(await page.locator('[data-test="model-graph"] svg g.box.pruned').count()).toBe(graph.prunedConvs);
    expect(await page.locator('[data-test="graph-edge"][data-kind="residual"]').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-test="graph-summary"]').textContent()).toContain(`${graph.prunedConvs} pruned convs`);
    // The highlight is visible: a pruned box's outline is not an ordinary one's.
    const pruned = graph.nodes.find((n) => n.width?.pruned)!;
    const plain = graph.nodes.find((n) => n.width && !n.width.pruned) ?? graph.nodes.find((n) => !n.width)!;
    const stroke = (name: string) => page.locator(`[data-test="graph-node-${name}"] rect`).first().evaluate((el) => getComputedStyle(el).stroke);
    expect(await stroke(pruned.name)).not.toBe(await stroke(plain.name));
    // Boxes do not overlap: each one's rectangle on screen is apart from the next.
    const rects = await boxes.evaluateAll((els) => els.map((el) => el.getBoundingClientRect()).map((r) => ({ top: r.top, bottom: r.bottom, left: r.left, right: r.right })));
    const overlapping = rects.filter((a, i) => rects.some((b, j) => j > i && a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom));
    expect(overlapping).toEqual([]);
    // A click on a pruned conv shows its widths and its filter norms.
    await page.locator(`[data-test="graph-node-${pruned.name}"]`).click();
    await expect.poll(() => page.locator('[data-test="graph-details-width"]').textContent()).toMatch(/pruned/);
    expect(await page.locator('[data-test="graph-norms"] rect.zero').count()).toBeGreaterThan(0);
    await keep(page, 'graph-sfp');
    // Where stage 2 starts: the downsampling shortcut in its lane beside the main path.
    const shortcutNode = graph.nodes.find((n) => n.name.startsWith('stage2/') && (n as { shortcut?: boolean }).shortcut);
    if (shortcutNode) await page.locator(`[data-test="graph-node-${shortcutNode.name}"]`).scrollIntoViewIfNeeded();
    await keep(page, 'graph-sfp-stage2');
    expect(browser.problems).toEqual([]);
  });

  it('collapses a stage into one box and expands it again; the compact model shows its kept widths', async () => {
    const { page } = browser;
    await openGraph(page, ids.compact);
    const nodes = page.locator('[data-test="model-graph"] svg g.box:not(.group)');
    const all = await nodes.count();
    const stage1 = page.locator('[data-test^="graph-node-stage1"]');
    const inStage1 = await stage1.count();
    expect(inStage1).toBeGreaterThan(0);
    await page.click('[data-test="graph-stage-stage1"]');
    await expect.poll(() => page.locator('[data-test="graph-group-stage1"]').count()).toBe(1);
    expect(await stage1.count()).toBe(0);
    expect(await nodes.count()).toBe(all - inStage1);
    expect(await page.locator('[data-test="graph-group-stage1"]').textContent()).toContain(`${inStage1} nodes`);
    await keep(page, 'graph-compact-stage1-collapsed');
    await page.click('[data-test="graph-group-stage1"]');
    await expect.poll(() => stage1.count()).toBe(inStage1);
    await page.click('[data-test="graph-collapse-all"]');
    await expect.poll(() => nodes.count()).toBeLessThan(all / 4);
    await page.click('[data-test="graph-expand-all"]');
    await expect.poll(() => nodes.count()).toBe(all);
    // Hard pruning left fewer filters: the width labels say kept/original.
    expect((await page.locator('[data-test="graph-width"]').allTextContents()).some((t) => /\d+\s*\/\s*\d+/.test(t))).toBe(true);
    await keep(page, 'graph-compact');
    expect(browser.problems).toEqual([]);
  });
});
