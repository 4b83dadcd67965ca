import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/**
 * The Node flags that run a TypeScript entry from source (the CLI and the browser host
 * started from a checkout): tsx's loader by its file URL. A bare `--import tsx` is resolved
 * from the child's working folder, so a `workbench` started anywhere but the repository
 * root failed every job with "Cannot find package 'tsx'".
 */
export function typeScriptLoaderArgv(): string[] {
  const require = createRequire(import.meta.url);
  return ['--import', pathToFileURL(require.resolve('tsx')).href];
}
