import type { Plugin } from 'vite';

/**
 * Vite's dev server injects CSS as <style> elements, which the strict policy in
 * index.html (style-src 'self') blocks. In dev only, allow inline styles; the
 * build keeps the strict policy. Use in the renderer's `plugins`.
 */
export function devCspPlugin(): Plugin {
  return {
    name: 'workbench-dev-csp',
    apply: 'serve',
    transformIndexHtml: (html) => html.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"),
  };
}
