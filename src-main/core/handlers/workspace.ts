import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { workspaceCalls } from '../../common/contract/workspace.ts';
import type { HandlerMap } from '../handler-types.ts';
import { writeAppConfig } from '../app-config.ts';
import { defaultWorkspaceDir } from '../workspace.ts';
import type { ServiceContext } from '../handler-types.ts';
import type { WorkspaceInfo } from '../../common/contract/workspace.ts';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { ApiError } from '../../common/contract/errors.ts';

function appVersion(): string {
  const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'package.json');
  try {
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  } catch {
    return process.env.npm_package_version ?? 'unknown';
  }
}

const count = (ctx: { ws: { db: { prepare(sql: string): { get(): unknown } } } }, table: string): number =>
  (ctx.ws.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

function info(ctx: ServiceContext): WorkspaceInfo {
  return {
    dir: ctx.ws.dir,
    databasePath: ctx.ws.dbPath,
    artifactsDir: ctx.ws.artifactsDir,
    schemaVersion: ctx.ws.schemaVersion,
    appVersion: appVersion(),
    counts: {
      datasets: count(ctx, 'datasets'),
      samples: count(ctx, 'samples'),
      jobs: count(ctx, 'jobs'),
      models: count(ctx, 'models'),
      artifacts: count(ctx, 'artifacts'),
    },
    sizeBytes: ctx.ws.sizeBytes(),
    nextStartDir: defaultWorkspaceDir(),
  };
}

export const workspaceHandlers: HandlerMap<keyof typeof workspaceCalls> = {
  'workspace.info': (_req, ctx) => info(ctx),
  'workspace.setDefault': (req, ctx) => {
    if (existsSync(req.dir) && !statSync(req.dir).isDirectory()) throw new ApiError('invalid_request', `${req.dir} is a file, not a folder.`, 'dir');
    try {
      mkdirSync(req.dir, { recursive: true });
    } catch (err) {
      throw new ApiError('invalid_request', `Cannot create ${req.dir}: ${(err as Error).message}`, 'dir');
    }
    writeAppConfig({ workspaceDir: req.dir });
    return info(ctx);
  },
};
