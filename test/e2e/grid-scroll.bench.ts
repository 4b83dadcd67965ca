/**
 * Benchmark: scrolling the dataset thumbnail grid over Fashion-MNIST (70,000
 * images) in Debian's Chromium. Prints frame times while scrolling 400 px per
 * frame and how long the thumbnails take to appear after a jump to the middle.
 * Run with `npm run bench:grid-scroll` (needs `npm run build` first).
 */
import { existsSync } from 'node:fs';
import { openBrowser } from './browser.ts';
import { startHost } from './host.ts';

const source = process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist';
if (!existsSync(source)) {
  console.error(`No Fashion-MNIST at ${source} (set FASHION_MNIST_DIR).`);
  process.exit(1);
}

const host = await startHost();
const browser = await openBrowser();
try {
  const call = async (name: string, body: unknown) => {
    const response = await fetch(`${host.origin}/api/call/${name}`, { method: 'POST', headers: { authorization: `Bearer ${host.token}` }, body: JSON.stringify(body) });
    return ((await response.json()) as { result: { id: number; status: string } }).result;
  };
  const job = await call('datasets.import', { path: source, name: 'Fashion-MNIST' });
  for (let status = job.status; status === 'queued' || status === 'running'; ) {
    await new Promise((r) => setTimeout(r, 500));
    status = (await call('jobs.get', { id: job.id })).status;
  }
  const { page } = browser;
  await page.goto(host.url);
  await page.evaluate(() => (location.hash = '/datasets/1'));
  await page.waitForSelector('[data-test="thumb-0"] img');
  await page.waitForTimeout(1000);
  const frames = await page.evaluate(async () => {
    const el = document.querySelector('[data-test="grid"]') as HTMLElement;
    const times: number[] = [];
    let last = performance.now();
    for (let i = 0; i < 240; i++) {
      el.scrollTop += 400;
      await new Promise((r) => requestAnimationFrame(r));
      const now = performance.now();
      times.push(now - last);
      last = now;
    }
    return times.sort((a, b) => a - b);
  });
  const q = (p: number) => frames[Math.min(frames.length - 1, Math.floor(p * frames.length))]!.toFixed(1);
  await page.evaluate(() => {
    const el = document.querySelector('[data-test="grid"]') as HTMLElement;
    el.scrollTop = el.scrollHeight / 2;
  });
  const t0 = Date.now();
  // A function, not a string: the page's CSP forbids eval.
  await page.waitForFunction(
    () => {
      const imgs = [...document.querySelectorAll('[data-test="grid"] img')] as HTMLImageElement[];
      return imgs.length > 20 && imgs.every((i) => i.complete && i.naturalWidth > 0);
    },
    null,
    { timeout: 30_000 },
  );
  const rendered = await page.locator('[data-test^="thumb-"]').count();
  console.log(`frames while scrolling 400 px/frame: median ${q(0.5)} ms, p95 ${q(0.95)} ms, max ${q(0.999)} ms`);
  console.log(`thumbnails on screen after a jump to the middle: ${Date.now() - t0} ms; cells in the DOM: ${rendered} of 70,000`);
} finally {
  await browser.close();
  await host.stop();
}
