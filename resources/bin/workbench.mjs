#!/usr/bin/env node
// The `workbench` command. The services are TypeScript run through tsx, so the
// CLI, the browser host and the job processes share one source tree.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../../src-main/hosts/cli/main.ts');
const code = await runCli(process.argv.slice(2));
if (code !== 0) process.exitCode = code;
