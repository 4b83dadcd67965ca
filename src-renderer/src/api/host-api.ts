import type { WorkbenchApi } from '../../../src-main/common/api.ts';

/**
 * The renderer's view of a host: the shared WorkbenchApi plus a URL for a
 * dataset sample by id (formats such as CIFAR binaries have no file per image).
 */
export interface HostApi extends WorkbenchApi {
  sampleUrl(sampleId: number, options?: { thumb?: number }): string;
  /** Saves a workspace file where the user chooses (browser: a download; Electron: the save dialog). */
  download(absolutePath: string): Promise<void>;
  /** Shows the file in the system's file manager; only where the host can (Electron). */
  showInFolder?: (absolutePath: string) => Promise<void>;
  /** The system's folder dialog (null when cancelled); only where the host has one (Electron). */
  pickFolder?: () => Promise<string | null>;
}

/** Wraps a plain WorkbenchApi (e.g. a test double) with the default sample URL scheme. */
export function withSampleUrl(api: WorkbenchApi, sampleUrl?: HostApi['sampleUrl']): HostApi {
  return {
    hostKind: api.hostKind,
    call: (name, request) => api.call(name, request),
    on: (event, listener) => api.on(event, listener),
    fileUrl: (path, options) => api.fileUrl(path, options),
    sampleUrl: sampleUrl ?? ((id, options) => `wb-file://sample/${id}${options?.thumb ? `?thumb=${options.thumb}` : ''}`),
    download: () => Promise.reject(new Error('This host cannot save files.')),
  };
}
