import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createReadStream, statSync } from 'node:fs';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ApiErrorBody, ApiErrorCode, Envelope } from '../../common/contract/index.ts';
import { ApiError } from '../../common/contract/errors.ts';
import type { WorkbenchCore } from '../../app/open-core.ts';
import { serveFile, type ServedFile } from '../../core/file-serving.ts';
import { resolveServableFile } from '../../core/file-access.ts';
import { serveSample } from '../../app/sample-serving.ts';
import { hostAndOriginAllowed, newToken, requestToken, tokenMatches } from './security.ts';
import { readStatic, rendererDir } from './static-files.ts';

export interface BrowserHost {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const statusOf: Record<ApiErrorCode, number> = {
  invalid_request: 400,
  unauthorized: 401,
  unknown_call: 404,
  not_found: 404,
  conflict: 409,
  failed: 500,
};

const MAX_BODY_BYTES = 16 * 2 ** 20;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

function sendError(res: ServerResponse, error: ApiErrorBody): void {
  const envelope: Envelope<never> = { ok: false, error };
  sendJson(res, statusOf[error.code], envelope);
}

/** A request the host refuses before dispatching it, with its HTTP status (413 for a body over the cap). */
class RequestRefused extends ApiError {
  readonly status: number;
  constructor(status: number, message: string) {
    super('invalid_request', message);
    this.status = status;
  }
}

/** How much of an over-cap body is read (and dropped) so the client gets the 413 instead of a reset connection. */
const MAX_DRAIN_BYTES = 4 * MAX_BODY_BYTES;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const tooLarge = (): RequestRefused => new RequestRefused(413, `Request body larger than ${MAX_BODY_BYTES} bytes (16 MiB), the limit of this host.`);
    const declared = Number(req.headers['content-length'] ?? 0);
    let size = 0;
    let over = declared > MAX_BODY_BYTES;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) over = true;
      if (!over) {
        chunks.push(chunk);
        return;
      }
      chunks.length = 0;
      // Read on and drop the rest, so the answer arrives; a client that keeps sending far past the cap is cut off.
      if (size > MAX_BODY_BYTES + MAX_DRAIN_BYTES) {
        reject(tooLarge());
        req.destroy();
      }
    });
    req.on('end', () => (over ? reject(tooLarge()) : resolve(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

/** Nesting limit of a request body: parsing and validating a deeper document could hold the host for seconds. */
export const MAX_JSON_DEPTH = 64;

/** Deepest nesting of arrays and objects in a JSON text (strings skipped), stopping once past `limit`. */
export function jsonDepth(text: string, limit = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) max = depth;
      if (max > limit) return max;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

function parseBody(text: string): unknown {
  if (!text.trim()) return {};
  if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw new RequestRefused(400, `The request body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels, the limit of this host.`);
  }
  return JSON.parse(text);
}

const securityHeaders = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/**
 * The browser host: the built renderer plus the API contract over HTTP
 * (POST /api/call/<name>), events over a WebSocket (/api/events), and files
 * (/files?path=..., /files/sample/<id>), on 127.0.0.1 only, behind a per-launch token.
 */
export async function startBrowserHost(core: WorkbenchCore, options: { port?: number; token?: string } = {}): Promise<BrowserHost> {
  const token = options.token ?? newToken();
  const staticDir = rendererDir();
  let port = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (!hostAndOriginAllowed(req, port)) {
      return sendError(res, { code: 'unauthorized', message: 'Requests must come from this host (Host/Origin header refused).' });
    }
    const isApi = url.pathname.startsWith('/api/') || url.pathname === '/files' || url.pathname.startsWith('/files/');
    if (isApi && !tokenMatches(token, requestToken(req, url))) {
      return sendError(res, { code: 'unauthorized', message: 'Missing or wrong token: open the URL the workbench printed at start.' });
    }
    if (url.pathname.startsWith('/api/call/')) {
      if (req.method !== 'POST') return sendError(res, { code: 'invalid_request', message: 'Use POST for API calls.' });
      const name = decodeURIComponent(url.pathname.slice('/api/call/'.length));
      let request: unknown = {};
      try {
        request = parseBody(await readBody(req));
      } catch (err) {
        if (err instanceof RequestRefused) {
          if (err.status === 413) res.setHeader('connection', 'close');
          return sendJson(res, err.status, { ok: false, error: err.toBody() });
        }
        const message = err instanceof ApiError ? err.message : `The request body is not valid JSON: ${(err as Error).message}`;
        return sendError(res, { code: 'invalid_request', message });
      }
      const envelope = await core.dispatch(name, request);
      return envelope.ok ? sendJson(res, 200, envelope) : sendError(res, envelope.error);
    }
    if (url.pathname === '/files/download') {
      // The same confinement as /files (workspace and registered dataset folders, regular files only), sent as an attachment.
      let file: string;
      try {
        file = resolveServableFile(core.ctx.ws, url.searchParams.get('path') ?? '');
      } catch (err) {
        if (err instanceof ApiError) return sendError(res, err.toBody());
        return sendError(res, { code: 'failed', message: (err as Error).message });
      }
      const name = path.basename(file);
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': String(statSync(file).size),
        // RFC 6266: an ASCII fallback and the UTF-8 name.
        'content-disposition': `attachment; filename="${name.replace(/[^\x20-\x7e]|["\\]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(name)}`,
        'cache-control': 'no-store',
        ...securityHeaders,
      });
      createReadStream(file).pipe(res);
      return;
    }
    if (url.pathname === '/files' || url.pathname.startsWith('/files/sample/')) {
      const thumb = Number(url.searchParams.get('thumb') ?? 0) || undefined;
      let served: ServedFile;
      try {
        if (url.pathname === '/files') served = await serveFile(core.ctx.ws, url.searchParams.get('path') ?? '', thumb);
        else served = await serveSample(core.ctx.ws, Number(url.pathname.slice('/files/sample/'.length)), thumb);
      } catch (err) {
        if (err instanceof ApiError) return sendError(res, err.toBody());
        return sendError(res, { code: 'failed', message: (err as Error).message });
      }
      res.writeHead(200, { 'content-type': served.contentType, 'cache-control': 'private, max-age=300', ...securityHeaders });
      res.end(served.body);
      return;
    }
    if (req.method !== 'GET') return sendError(res, { code: 'invalid_request', message: 'Unknown route.' });
    const file = readStatic(staticDir, url.pathname);
    if (!file) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('The user interface is not built yet: run `npm run build`.');
      return;
    }
    res.writeHead(200, { 'content-type': file.type, ...securityHeaders });
    res.end(file.body);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // decodeURIComponent on a malformed escape (e.g. /%E0%A4%A) is the client's mistake, not the host's.
      if (!res.headersSent && err instanceof URIError) sendError(res, { code: 'invalid_request', message: `Malformed URL: ${err.message}.` });
      else if (!res.headersSent) sendError(res, { code: 'failed', message: (err as Error).message });
      else res.end();
    });
  });

  const sockets = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (url.pathname !== '/api/events' || !hostAndOriginAllowed(req, port) || !tokenMatches(token, requestToken(req, url))) {
      socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => sockets.emit('connection', ws, req));
  });
  const clients = new Set<WebSocket>();
  sockets.on('connection', (ws: WebSocket) => {
    clients.add(ws);
    ws.on('close', () => clients.delete(ws));
  });
  const unsubscribe = core.ctx.events.onAny((event, payload) => {
    const text = JSON.stringify({ event, payload });
    for (const ws of clients) if (ws.readyState === ws.OPEN) ws.send(text);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new Error(`Port ${options.port} is already in use: pass --port 0 to pick a free one.`));
      else reject(err);
    });
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close: async () => {
      unsubscribe();
      for (const ws of clients) ws.terminate();
      await new Promise<void>((resolve) => sockets.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
