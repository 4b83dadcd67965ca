// @vitest-environment happy-dom
import { describe, it, expect } from 'vitest';
import { ref } from 'vue';
import { ApiError } from '../../src-main/common/contract/errors.ts';
import { readableMessage, useAsync } from '../../src-renderer/src/ui/use-async.ts';

/** A promise the test settles when it wants. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('useAsync', () => {
  it('is loading while work runs, then holds its result', async () => {
    const state = useAsync<number>();
    const work = deferred<number>();
    const running = state.run(() => work.promise);
    expect(state.loading.value).toBe(true);
    work.resolve(7);
    expect(await running).toBe(7);
    expect([state.loading.value, state.data.value, state.error.value, state.message.value]).toEqual([false, 7, null, null]);
  });

  it('keeps a failure as an ApiError: on the field it names (params. / config. taken off), else as the message', async () => {
    const state = useAsync({ fields: ['name', 'prune'] });
    expect(await state.run(() => Promise.reject(new ApiError('invalid_request', 'Rate must be below 1', 'params.prune.rate')))).toBeUndefined();
    expect(state.fieldErrors.value).toEqual({ prune: 'Rate must be below 1' });
    expect(state.message.value).toBeNull();
    await state.run(() => Promise.reject(new ApiError('failed', 'The database is read-only')));
    expect(state.fieldErrors.value).toEqual({});
    expect(state.message.value).toBe('The database is read-only');
    // A plain Error reaches the view as code `failed`, and a field the view does not show goes to the message.
    await state.run(() => Promise.reject(new Error('disk full')));
    expect(state.error.value).toMatchObject({ code: 'failed', message: 'disk full' });
    await state.run(() => Promise.reject(new ApiError('invalid_request', 'bad', 'config.seed')));
    expect([state.fieldErrors.value, state.message.value]).toEqual([{}, 'bad']);
    state.clear();
    expect(state.message.value).toBeNull();
  });

  it('maps errors with the fields shown now, or with its own function', async () => {
    const shown = ref<string[]>([]);
    const state = useAsync({ fields: shown });
    await state.run(() => Promise.reject(new ApiError('invalid_request', 'No folder there', 'path')));
    expect(state.message.value).toBe('No folder there');
    shown.value = ['path'];
    expect(state.fieldErrors.value).toEqual({ path: 'No folder there' });
    const nested = useAsync({ fieldOf: (path) => (path.startsWith('schedule') ? 'schedule.kind' : undefined) });
    nested.fail(new ApiError('invalid_request', 'milestones must increase', 'config.schedule.milestones'));
    expect(nested.fieldErrors.value).toEqual({ 'schedule.kind': 'milestones must increase' });
  });

  // The CLI prints "sampleIds: 999 is not a sample"; beside the Sample ids field the code name is noise.
  it('shows a message next to its field without the field name the server put in front', async () => {
    const state = useAsync({ fields: ['sampleIds', 'prune'] });
    await state.run(() => Promise.reject(new ApiError('not_found', 'sampleIds: 999 is not a sample of dataset 4.', 'sampleIds')));
    expect(state.fieldErrors.value).toEqual({ sampleIds: '999 is not a sample of dataset 4.' });
    await state.run(() => Promise.reject(new ApiError('invalid_request', 'prune.rate: must be below 1', 'config.prune.rate')));
    expect(state.fieldErrors.value).toEqual({ prune: 'must be below 1' });
    expect(readableMessage(new ApiError('conflict', 'jobId: Run #15 is cancelled, not finished.', 'jobId'))).toBe('Run #15 is cancelled, not finished.');
    // Only its own field's name is taken off; a message that merely contains a colon stays whole.
    expect(readableMessage(new ApiError('failed', 'path: /x does not exist.', 'name'))).toBe('path: /x does not exist.');
    expect(readableMessage(new ApiError('failed', 'Disk: full'))).toBe('Disk: full');
  });

  it('lets only the latest run set the data, and stays loading until every run ended', async () => {
    const state = useAsync<string>();
    const slow = deferred<string>();
    const fast = deferred<string>();
    const first = state.run(() => slow.promise);
    const second = state.run(() => fast.promise);
    fast.resolve('newer');
    await second;
    expect(state.loading.value).toBe(true);
    slow.resolve('older');
    await first;
    expect(state.data.value).toBe('newer');
    expect(state.loading.value).toBe(false);
  });
});
