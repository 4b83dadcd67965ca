import type { Migration } from '../migrate.ts';
import { migration001 } from './001-initial.ts';
import { migration002 } from './002-dataset-browse-indexes.ts';
import { migration003 } from './003-job-kind-names.ts';
import { migration004 } from './004-sample-real-path.ts';
import { migration005 } from './005-dataset-splits.ts';
import { migration006 } from './006-reproductions.ts';
import { migration007 } from './007-run-notes.ts';
import { migration010 } from './010-job-placement.ts';

/** Numbered migrations, never edited once released: add a new file for every change. */
export const migrations: Migration[] = [migration001, migration002, migration003, migration004, migration005, migration006, migration007, migration010];
