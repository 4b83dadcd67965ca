import { protocol } from 'electron';
import type { WorkbenchCore } from '../../app/open-core.ts';
import { fileSchemeResponse } from './file-scheme-response.ts';

export const FILE_SCHEME = 'wb-file';

/** Must run before app 'ready': the scheme is privileged like https so <img> and fetch can use it. */
export function registerFileScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: FILE_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

/**
 * wb-file://file/<encoded absolute path>?thumb=N and wb-file://sample/<id>?thumb=N:
 * the same confinement as the browser host's /files routes (workspace and
 * dataset roots only; see file-scheme-response.ts).
 */
export function handleFileScheme(core: WorkbenchCore): void {
  protocol.handle(FILE_SCHEME, (request) => fileSchemeResponse(core.ctx.ws, request.url));
}
