import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { hasChromium, openBrowser, screenshot, screenshotDir, type OpenBrowser } from './browser.ts';
import { startHost, type RunningHost } from './host.ts';

const areas = [
  ['datasets', 'Datasets'],
  ['augment', 'Augmentations'],
  ['training', 'Training'],
  ['compare', 'Pruning & Compare'],
  ['spgan', 'Translation (SPGAN)'],
  ['runs', 'Runs'],
  ['localize', 'Localization'],
  ['adapt', 'Domain adaptation'],
  ['reproduce', 'Reproductions'],
  ['settings', 'Settings'],
] as const;

describe.skipIf(!hasChromium)('shell in the browser host', () => {
  let host: RunningHost;
  let browser: OpenBrowser;

  beforeAll(async () => {
    host = await startHost();
    browser = await openBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await host?.stop();
    console.log(`[e2e] screenshots in ${screenshotDir}`);
  });

  it('loads with the engine in the status bar and the token gone from the address bar', async () => {
    const { page } = browser;
    await page.goto(host.url);
    await expect.poll(() => page.locator('[data-test="engine"]').textContent(), { timeout: 30_000 }).toMatch(/threads · SIMD (on|off)/);
    expect(page.url()).not.toContain('token=');
    await screenshot(page, 'shell-light');
  });

  it('navigates every area from the sidebar and with CmdOrCtrl+digit', async () => {
    const { page } = browser;
    for (const [name, title] of areas) {
      await page.click(`[data-test="nav-${name}"]`);
      await expect.poll(() => page.locator('main h1').first().textContent()).toBe(title);
    }
    await page.keyboard.press('Control+1');
    await expect.poll(() => page.locator('main h1').first().textContent()).toBe('Datasets');
    await page.keyboard.press('Control+j');
    await expect.poll(() => page.locator('[data-test="jobs-panel"]').count()).toBe(1);
    await page.keyboard.press('Control+j');
    expect(browser.problems.filter((p) => /Content Security Policy|Refused/.test(p))).toEqual([]);
  });

  // Layout as the browser really draws it: a caption above its control (never touching it on the same line),
  // and the sidebar's shortcut column clear of the longest area title.
  it('puts every field caption above its control and keeps the sidebar shortcuts clear of the titles', async () => {
    const { page } = browser;
    if (!page.url().startsWith(host.origin)) await page.goto(host.url);
    await page.waitForSelector('[data-test="nav-datasets"]');
    for (const [name] of areas) {
      await page.click(`[data-test="nav-${name}"]`);
      await page.waitForTimeout(300);
      const touching = await page.evaluate(() =>
        [...document.querySelectorAll('main label.field')].flatMap((label) => {
          const caption = label.querySelector(':scope > span');
          const control = label.querySelector('input, select, textarea');
          if (!caption || !control || !(label as HTMLElement).offsetParent) return [];
          const a = caption.getBoundingClientRect();
          const b = control.getBoundingClientRect();
          return a.bottom <= b.top + 1 ? [] : [`${caption.textContent?.trim()}: caption ${Math.round(a.left)},${Math.round(a.top)} control ${Math.round(b.left)},${Math.round(b.top)}`];
        }),
      );
      expect(touching, name).toEqual([]);
    }
    const overlaps = await page.evaluate(() =>
      [...document.querySelectorAll('.nav-link')].flatMap((link) => {
        const label = link.querySelector('.label')!;
        const kbd = link.querySelector('kbd');
        if (!kbd) return [];
        const fits = label.scrollWidth <= label.clientWidth && label.getBoundingClientRect().right + 4 <= kbd.getBoundingClientRect().left && kbd.getBoundingClientRect().right <= link.getBoundingClientRect().right;
        return fits ? [] : [`${label.textContent} / ${kbd.textContent}`];
      }),
    );
    expect(overlaps).toEqual([]);
    await page.click('[data-test="nav-localize"]');
    await screenshot(page, 'localization-fields');
  });

  it('follows the OS dark theme', async () => {
    const dark = await openBrowser({ colorScheme: 'dark' });
    try {
      await dark.page.goto(host.url);
      await expect.poll(() => dark.page.locator('[data-test="engine"]').textContent(), { timeout: 30_000 }).toMatch(/threads/);
      const background = await dark.page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
      expect(background).toBe('rgb(21, 24, 29)');
      await dark.page.click('[data-test="nav-settings"]');
      await dark.page.waitForSelector('[data-test="workspace-info"]');
      await screenshot(dark.page, 'settings-dark');
    } finally {
      await dark.close();
    }
  });

  it('applies the theme chosen in Settings over the OS preference', async () => {
    const { page } = browser;
    await page.keyboard.press('Control+,');
    await page.selectOption('[data-test="set-theme"]', 'dark');
    await page.click('[data-test="settings-save"]');
    await expect.poll(() => page.evaluate<string>('getComputedStyle(document.body).backgroundColor')).toBe('rgb(21, 24, 29)');
    await screenshot(page, 'settings-dark-override');
    await page.selectOption('[data-test="set-theme"]', 'system');
    await page.click('[data-test="settings-save"]');
    await expect.poll(() => page.evaluate<string>('getComputedStyle(document.body).backgroundColor')).toBe('rgb(246, 247, 249)');
  });

  // The Resource limits box showed the browser's grooved fieldset border instead of the app's card.
  it('draws the Settings boxes in the app\'s card style, not the browser\'s fieldset border', async () => {
    const { page } = browser;
    await page.goto(host.url);
    await page.click('[data-test="nav-settings"]');
    await page.waitForSelector('[data-test="set-limits"]');
    const style = (selector: string): Promise<string> =>
      page.evaluate<string>(`(() => { const s = getComputedStyle(document.querySelector(${JSON.stringify(selector)})); return [s.borderTopStyle, s.borderTopWidth, s.borderTopColor, s.borderTopLeftRadius, s.backgroundColor].join(' '); })()`);
    const limits = await style('[data-test="set-limits"]');
    expect(limits).toMatch(/^solid 1px /);
    expect(limits).toBe(await style('.card:not(fieldset)'));
  });

  it('refuses a request with a wrong token', async () => {
    const response = await fetch(`${host.origin}/api/call/engine.info`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer wrong-token' },
      body: '{}',
    });
    expect(response.status).toBe(401);
    const body = (await response.json()) as { ok: boolean; error: { code: string } };
    expect(body).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    const file = await fetch(`${host.origin}/files?path=${encodeURIComponent('/etc/passwd')}&token=wrong`);
    expect(file.status).toBe(401);
  });
});
