import { rmSync } from 'node:fs';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { hasChromium, openBrowser, screenshot, screenshotDir, type OpenBrowser } from './browser.ts';
import { hostCall, startHost, type RunningHost } from './host.ts';
import { writeClassFolderDataset } from './fixtures.ts';

/** The lab's first session: import a dataset, look at it, preview augmentations, split class folders from the training form, start and cancel a run. */
describe.skipIf(!hasChromium)('workflow in the browser host', () => {
  let host: RunningHost;
  let browser: OpenBrowser;
  let dataRoot: string;
  let flatRoot: string | undefined;

  const call = <T>(name: string, request: unknown): Promise<T> => hostCall<T>(host, name, request);

  beforeAll(async () => {
    [host, dataRoot] = await Promise.all([startHost(), writeClassFolderDataset()]);
    browser = await openBrowser();
    await browser.page.goto(host.url);
  });
  afterAll(async () => {
    await browser?.close();
    await host?.stop();
    for (const root of [dataRoot, flatRoot]) if (root) rmSync(root, { recursive: true, force: true });
    console.log(`[e2e] screenshots in ${screenshotDir}`);
  });

  it('imports a class-folder dataset through the dialog and shows its report', async () => {
    const { page } = browser;
    await page.click('[data-test="nav-datasets"]');
    await page.click('[data-test="import-open"]');
    await page.fill('[data-test="import-path"]', dataRoot);
    await page.locator('[data-test="import-path"]').blur();
    await expect.poll(() => page.locator('[data-test="import-detected"]').textContent(), { timeout: 15_000 }).toContain('Class folders');
    await page.fill('[data-test="import-name"]', 'e2e pets');
    await page.click('[data-test="import-submit"]');
    await page.waitForSelector('[data-test="import-report"]', { timeout: 60_000 });
    expect(await page.locator('[data-test="import-report"]').textContent()).toContain('48 images, 3 classes');
    await screenshot(page, 'import-report');
    await page.click('[data-test="import-open-dataset"]');
    await expect.poll(() => page.locator('main h1').first().textContent()).toBe('e2e pets');
  });

  it('shows the thumbnails, filters them and steps through image detail with the arrow keys', async () => {
    const { page } = browser;
    await expect.poll(() => page.locator('[data-test="grid-count"]').textContent(), { timeout: 15_000 }).toBe('48 images');
    // Thumbnails really decode (the host serves them with the token).
    await expect
      .poll(() => page.locator('[data-test="thumb-0"] img').evaluate((img) => (img as HTMLImageElement).naturalWidth), { timeout: 15_000 })
      .toBeGreaterThan(0);
    await page.selectOption('[data-test="filter-split"]', 'test');
    await expect.poll(() => page.locator('[data-test="grid-count"]').textContent()).toBe('12 images');
    await page.selectOption('[data-test="filter-split"]', '');
    await expect.poll(() => page.locator('[data-test="grid-count"]').textContent()).toBe('48 images');
    await screenshot(page, 'dataset-grid');
    await page.click('[data-test="thumb-0"]');
    await expect.poll(() => page.locator('[data-test="detail-position"]').textContent()).toBe('1 / 48');
    const first = await page.locator('[data-test="fact-File"]').textContent();
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => page.locator('[data-test="detail-position"]').textContent()).toBe('2 / 48');
    await expect.poll(() => page.locator('[data-test="fact-File"]').textContent()).not.toBe(first);
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => page.locator('[data-test="fact-File"]').textContent()).toBe(first);
    await screenshot(page, 'image-detail');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('[data-test="image-detail"]').count()).toBe(0);
  });

  it('applies a theme as soon as it is chosen; arrow keys move through the grid with a focus ring that shows in dark mode', async () => {
    const { page } = browser;
    const datasetUrl = page.url();
    await page.keyboard.press('Control+,');
    await page.selectOption('[data-test="set-theme"]', 'dark');
    // No Save pressed: the theme applies (and is kept) on choosing it.
    await expect.poll(() => page.evaluate<string>('getComputedStyle(document.body).backgroundColor')).toBe('rgb(21, 24, 29)');
    await page.goto(datasetUrl);
    await expect.poll(() => page.locator('[data-test="grid-count"]').textContent(), { timeout: 15_000 }).toBe('48 images');
    expect(await page.evaluate<string>('getComputedStyle(document.body).backgroundColor')).toBe('rgb(21, 24, 29)');
    // Cells in the first row, once the grid has laid out for its measured width (132 px cells, 8 px gaps).
    const firstRow = () => page.locator('[data-test^="thumb-"]').evaluateAll((els) => els.filter((el) => el.getBoundingClientRect().top === els[0]!.getBoundingClientRect().top).length);
    const fitting = () => page.locator('[data-test="grid"]').evaluate((el) => Math.floor((el.clientWidth + 8) / 140));
    await expect.poll(async () => (await firstRow()) === (await fitting())).toBe(true);
    const columns = await firstRow();
    expect(columns).toBeGreaterThan(1);
    const focused = () => page.evaluate<string | undefined>('document.activeElement?.dataset.index');
    await page.focus('[data-test="thumb-0"]');
    await page.keyboard.press('ArrowRight');
    await expect.poll(focused).toBe('1');
    await page.keyboard.press('ArrowDown');
    await expect.poll(focused).toBe(String(1 + columns));
    await page.keyboard.press('End');
    await expect.poll(focused).toBe('47');
    await page.keyboard.press('Home');
    await expect.poll(focused).toBe('0');
    await page.keyboard.press('ArrowRight');
    await expect.poll(focused).toBe('1');
    // The ring: solid, 2 px, and at least 3:1 against the page (WCAG 1.4.11).
    const ring = await page.evaluate(() => {
      const style = getComputedStyle(document.activeElement!);
      return { style: style.outlineStyle, width: style.outlineWidth, color: style.outlineColor, background: getComputedStyle(document.body).backgroundColor };
    });
    expect(ring).toMatchObject({ style: 'solid', width: '2px' });
    const luminance = (css: string) => {
      const [r, g, b] = css.match(/\d+(\.\d+)?/g)!.slice(0, 3).map((v) => Number(v) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
      return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
    };
    const [light, dark] = [luminance(ring.color), luminance(ring.background)].sort((a, b) => b - a);
    expect((light! + 0.05) / (dark! + 0.05)).toBeGreaterThanOrEqual(3);
    await screenshot(page, 'grid-focus-dark');
    await page.keyboard.press('Control+,');
    await page.selectOption('[data-test="set-theme"]', 'system');
    await expect.poll(() => page.evaluate<string>('getComputedStyle(document.body).backgroundColor')).toBe('rgb(246, 247, 249)');
  });

  it('previews an augmentation pipeline on the dataset', async () => {
    const { page } = browser;
    await page.keyboard.press('Control+2');
    await expect.poll(() => page.locator('main h1').first().textContent()).toBe('Augmentations');
    for (const transform of ['padCrop', 'horizontalFlip', 'randomErasing', 'patchShuffle']) {
      await page.selectOption('[data-test="add-transform"]', transform);
      await page.click('[data-test="add-step"]');
    }
    await expect.poll(() => page.locator('[data-test^="step-"]').count()).toBe(4);
    // One preset control per step, showing the preset the options match.
    expect(await page.locator('[data-test^="preset-"]').count()).toBe(4);
    // Random Erasing starts at its defaults, which are the paper's.
    expect(await page.locator('[data-test="preset-2"]').inputValue()).toBe('paper');
    await page.selectOption('[data-test="preset-2"]', 'torchvision');
    expect(await page.locator('[data-test="preset-2"]').inputValue()).toBe('torchvision');
    expect(await page.locator('[data-test="step-2"] [data-test="param-aspectDraw"] select').inputValue()).toBe('log-uniform');
    await page.click('[data-test="preview-run"]');
    await expect.poll(() => page.locator('[data-test="preview-grid"] figure').count(), { timeout: 30_000 }).toBe(8);
    const decoded = await page.locator('[data-test="preview-grid"] img').evaluateAll((imgs) => imgs.filter((i) => (i as HTMLImageElement).naturalWidth > 0).length);
    expect(decoded).toBe(16);
    expect(await page.locator('[data-test="shuffle-summary"]').textContent()).toMatch(/^PatchShuffle \(step 4\): probability 0\.05 per image \(the default\), so about 0\.4 of these 8 images; shuffled here: \d\./);
    const before = await page.locator('[data-test="preview-grid"] .drawn').allTextContents();
    const images = () => page.locator('[data-test="sample-id"]').allTextContents();
    const shown = await images();
    // A new seed: new draws on the same images.
    await page.click('[data-test="preview-reroll"]');
    await expect.poll(() => page.locator('[data-test="preview-grid"] .drawn').allTextContents(), { timeout: 30_000 }).not.toEqual(before);
    expect(await images()).toEqual(shown);
    // So does a seed typed in, then Preview.
    const drawn = await page.locator('[data-test="preview-grid"] .drawn').allTextContents();
    await page.fill('[data-test="preview-seed"]', '12345');
    await page.click('[data-test="preview-run"]');
    await expect.poll(() => page.locator('[data-test="preview-grid"] .drawn').allTextContents(), { timeout: 30_000 }).not.toEqual(drawn);
    expect(await images()).toEqual(shown);
    await screenshot(page, 'augment-preview');
    // Other images: new ones, the seed kept.
    await page.click('[data-test="preview-other-images"]');
    await expect.poll(images, { timeout: 30_000 }).not.toEqual(shown);
    expect(await page.locator('[data-test="preview-seed"]').inputValue()).toBe('12345');
  });

  it('shows a running job with live progress in the jobs panel and cancels it, on class folders split from the form in one click', async () => {
    const { page } = browser;
    // Class folders with no train/test folders, imported beside the first set.
    flatRoot = await writeClassFolderDataset({ all: 10 }, { flat: true });
    const imported = await call<{ id: number }>('datasets.import', { path: flatRoot, name: 'e2e flat' });
    await expect.poll(async () => (await call<{ status: string }>('jobs.get', { id: imported.id })).status, { timeout: 60_000 }).toBe('succeeded');
    const flat = (await call<{ id: number; name: string }[]>('datasets.list', {})).find((d) => d.name === 'e2e flat')!;
    await page.keyboard.press('Control+3');
    await page.click('[data-test="new-run"]');
    await page.waitForSelector('[data-test="train-form"]');
    await page.selectOption('[data-test="tr-dataset"]', String(flat.id));
    const make = page.locator('[data-test="tr-split-set-make-button"]');
    await expect.poll(() => make.textContent(), { timeout: 15_000 }).toContain('Make a stratified 80/10/10 split (seed 0)');
    await screenshot(page, 'train-form-unsplit');
    await make.click();
    await expect.poll(() => page.locator('[data-test="tr-split-set"]').inputValue(), { timeout: 15_000 }).toBe('stratified-80-10-10-s0');
    expect(await page.locator('[data-test="tr-split-set-made"]').textContent()).toContain('train 24, val 3, test 3');
    // Stored with the dataset like any split.
    expect((await call<{ name: string }[]>('datasets.splits.list', { id: flat.id })).map((s) => s.name)).toEqual(['imported', 'stratified-80-10-10-s0']);
    await page.fill('[data-test="tr-epochs"]', '400');
    await page.click('[data-test="tr-submit"]');
    await expect.poll(() => page.url(), { timeout: 15_000 }).toMatch(/#\/training\/\d+$/);
    await page.keyboard.press('Control+j');
    const card = page.locator('[data-test="jobs-panel"] [data-test^="job-"]').filter({ has: page.locator('[data-test="job-cancel"]') }).first();
    await expect.poll(() => card.locator('[data-test="job-status"]').textContent(), { timeout: 60_000 }).toBe('running');
    await expect.poll(() => card.locator('[data-test="job-step"]').textContent(), { timeout: 60_000 }).not.toMatch(/Starting|Waiting/);
    await screenshot(page, 'job-running');
    await card.locator('[data-test="job-cancel"]').click();
    await expect
      .poll(() => page.locator('[data-test="jobs-panel"] [data-test="job-status"]').allTextContents(), { timeout: 30_000 })
      .toContain('cancelled');
    expect(browser.problems.filter((p) => /Content Security Policy|Refused to/.test(p))).toEqual([]);
  });
});
