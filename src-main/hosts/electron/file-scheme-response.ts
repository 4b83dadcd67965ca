import { ApiError } from '../../common/contract/errors.ts';
import type { Workspace } from '../../core/workspace.ts';
import { serveFile } from '../../core/file-serving.ts';
import { serveSample } from '../../app/sample-serving.ts';

/**
 * The answer to one wb-file:// request (wb-file://file/<encoded absolute path>
 * and wb-file://sample/<id>, each with ?thumb=N): the same confinement as the
 * browser host's /files routes. Kept free of Electron so it runs under plain Node.
 */
export async function fileSchemeResponse(ws: Workspace, requestUrl: string): Promise<Response> {
  try {
    const url = new URL(requestUrl);
    const thumb = Number(url.searchParams.get('thumb') ?? 0) || undefined;
    const target = decodeURIComponent(url.pathname.replace(/^\//, ''));
    const served = url.host === 'sample' ? await serveSample(ws, Number(target), thumb) : await serveFile(ws, /^([A-Za-z]:[\\/]|\/)/.test(target) ? target : '/' + target, thumb);
    return new Response(new Uint8Array(served.body), { headers: { 'content-type': served.contentType, 'x-content-type-options': 'nosniff' } });
  } catch (err) {
    const status = err instanceof URIError || (err instanceof ApiError && err.code === 'invalid_request') ? 400 : err instanceof ApiError && err.code === 'not_found' ? 404 : 403;
    return new Response((err as Error).message, { status });
  }
}
