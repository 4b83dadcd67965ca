import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import vue from '@vitejs/plugin-vue';
import { devCspPlugin } from './src-renderer/dev-csp.ts';

// Native and optional packages stay outside the bundles: they are loaded from
// node_modules at run time (tfjs-node(-gpu) may be absent).
const nativeExternals = ['better-sqlite3', 'sharp', 'onnxruntime-node', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'];

export default defineConfig({
  main: {
    build: {
      externalizeDeps: { include: nativeExternals },
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src-main/hosts/electron/main.ts'),
          'job-process': resolve(__dirname, 'src-main/app/job-process.ts'),
          // Forked by engine.info so the main process never loads TF.js.
          'engine-probe': resolve(__dirname, 'src-main/engine/probe.ts'),
          // Forked by the engine benchmark, one process per model.
          'bench-model-process': resolve(__dirname, 'src-main/bench/engine/bench-model-process.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      rollupOptions: {
        input: { index: resolve(__dirname, 'src-main/hosts/electron/preload.ts') },
        // A sandboxed preload cannot require() local chunks: one CommonJS file.
        output: { format: 'cjs', entryFileNames: '[name].cjs', inlineDynamicImports: true },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src-renderer'),
    build: {
      rollupOptions: { input: { index: resolve(__dirname, 'src-renderer/index.html') } },
    },
    // The dev server injects styles as <style> tags; devCspPlugin relaxes the CSP for it only.
    plugins: [vue(), devCspPlugin()],
  },
});
