import type { WorkbenchApi } from '../../../src-main/common/api.ts';

/**
 * The renderer's view of a host: the shared WorkbenchApi plus a URL for a
 * dataset sample by id (formats such as CIFAR binaries have no file per image).
 */
export interface HostApi extends WorkbenchApi {
  sampleUrl(sampleId: number, options?: { thumb?: number }): string;
}

/** Wraps a plain WorkbenchApi (e.g. a test double) with the default sample URL scheme. */
export function withSampleUrl(api: WorkbenchApi, sampleUrl?: HostApi['sampleUrl']): HostApi {
  return {
    hostKind: api.hostKind,
    call: (name, request) => api.call(name, request),
    on: (event, listener) => api.on(event, listener),
    fileUrl: (path, options) => api.fileUrl(path, options),
    sampleUrl: sampleUrl ?? ((id, options) => `wb-file://sample/${id}${options?.thumb ? `?thumb=${options.thumb}` : ''}`),
  };
}
