import type { Envelope } from '../../../src-main/common/contract/errors.ts';

/**
 * What the Electron preload exposes as `window.workbench` through contextBridge.
 * The renderer's Electron client (electron-client.ts) wraps it into a WorkbenchApi.
 * See README.md in this folder for the exact contract the preload must meet.
 */
export interface WorkbenchBridge {
  /** Invokes one contract call; never rejects for API errors, it resolves an Envelope. */
  call(name: string, request: unknown): Promise<Envelope<unknown>>;
  /** Subscribes to a backend event; returns the unsubscribe function. */
  on(event: string, listener: (payload: unknown) => void): () => void;
  /** A URL for <img src> (the wb-file: protocol), optionally a server-side thumbnail of `thumb` px. */
  fileUrl(absolutePath: string, options?: { thumb?: number }): string;
  /** A URL for one dataset sample (decoded formats have no file); `wb-file://sample/<id>` when absent. */
  sampleUrl?(sampleId: number, options?: { thumb?: number }): string;
  /** Saves a workspace file through the save dialog. */
  download?(absolutePath: string): Promise<void>;
  /** Shows a workspace file in the file manager. */
  showInFolder?(absolutePath: string): Promise<void>;
  /** The system's folder dialog; null when cancelled. */
  pickFolder?(): Promise<string | null>;
}

declare global {
  interface Window {
    workbench?: WorkbenchBridge;
  }
}
