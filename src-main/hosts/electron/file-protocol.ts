import { protocol } from 'electron';
import { ApiError } from '../../common/contract/errors.ts';
import type { WorkbenchCore } from '../../app/open-core.ts';
import { serveFile } from '../../core/file-serving.ts';
import { serveSample } from '../../app/sample-serving.ts';

export const FILE_SCHEME = 'wb-file';

/** Must run before app 'ready': the scheme is privileged like https so <img> and fetch can use it. */
export function registerFileScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: FILE_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

/**
 * wb-file://file/<encoded absolute path>?thumb=N and wb-file://sample/<id>?thumb=N:
 * the same confinement as the browser host's /files routes (workspace and
 * dataset roots only).
 */
export function handleFileScheme(core: WorkbenchCore): void {
  protocol.handle(FILE_SCHEME, async (request) => {
    const url = new URL(request.url);
    const thumb = Number(url.searchParams.get('thumb') ?? 0) || undefined;
    try {
      const target = decodeURIComponent(url.pathname.replace(/^\//, ''));
      const served =
        url.host === 'sample' ? await serveSample(core.ctx.ws, Number(target), thumb) : await serveFile(core.ctx.ws, /^([A-Za-z]:[\\/]|\/)/.test(target) ? target : '/' + target, thumb);
      return new Response(new Uint8Array(served.body), { headers: { 'content-type': served.contentType } });
    } catch (err) {
      const status = err instanceof ApiError && err.code === 'not_found' ? 404 : 403;
      return new Response((err as Error).message, { status });
    }
  });
}
