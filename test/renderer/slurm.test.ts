// @vitest-environment happy-dom
/**
 * Slurm in the renderer: the profiles section of the Settings page, the "Run
 * on" choice every job form offers once there is a profile, and the Slurm
 * state (job id, pending reason, node) on a job card.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import { defineComponent, h } from 'vue';
import type { JobSummary, SlurmProfile } from '../../src-main/common/contract/index.ts';
import { ApiError } from '../../src-main/common/contract/errors.ts';
import { slurmProfileSchema } from '../../src-main/common/contract/slurm.ts';
import SettingsPage from '../../src-renderer/src/settings/SettingsPage.vue';
import ShellJobsPanel from '../../src-renderer/src/shell/ShellJobsPanel.vue';
import RunsTable from '../../src-renderer/src/runs/RunsTable.vue';
import FormJob from '../../src-renderer/src/forms/FormJob.vue';
import { jobForms } from '../../src-renderer/src/job-forms/index.ts';
import { useJobsStore } from '../../src-renderer/src/stores/jobs.ts';
import { mountWithApi, type Mounted } from './mount-app.ts';
import { job } from './fixtures.ts';

let mounted: Mounted | null = null;
afterEach(() => {
  mounted?.wrapper.unmount();
  mounted = null;
});

const lab: SlurmProfile = slurmProfileSchema.parse({ name: 'lab', partition: 'gpu', timeLimit: '2:00:00', cpus: 8, gpus: 1 });

describe('Slurm profiles on the Settings page', () => {
  it('lists profiles, saves a new one as typed, shows a refused field next to it, removes one', async () => {
    const stored: SlurmProfile[] = [lab];
    mounted = await mountWithApi(SettingsPage, {
      handlers: {
        'slurm.profiles.list': () => [...stored],
        'slurm.profiles.set': ({ profile }) => {
          const p = profile as { timeLimit: string };
          if (p.timeLimit === 'soon') throw new ApiError('invalid_request', 'profile.timeLimit: a Slurm duration such as "90"', 'profile.timeLimit');
          const saved = slurmProfileSchema.parse(profile);
          stored.push(saved);
          return saved;
        },
        'slurm.profiles.remove': () => ({ removed: true }),
      },
    });
    const w = mounted.wrapper;
    expect(w.get('[data-test="slurm-profile-lab"]').text()).toContain('gpu');

    await w.get('[data-test="slurm-name"]').setValue('cpu-short');
    await w.get('[data-test="slurm-time"]').setValue('soon');
    await w.get('[data-test="slurm-profile-form"]').trigger('submit');
    await flushPromises();
    expect(w.get('#slurm-time-error').text()).toContain('a Slurm duration');
    expect(w.get('[data-test="slurm-time"]').attributes('aria-invalid')).toBe('true');

    await w.get('[data-test="slurm-time"]').setValue('30');
    await w.get('[data-test="slurm-extra"]').setValue('--constraint=avx2  --exclusive');
    await w.get('[data-test="slurm-job-root"]').setValue('/scratch/lab/jobs');
    await w.get('[data-test="slurm-local-paths"]').setValue(' /home/me  /data/local ');
    await w.get('[data-test="slurm-profile-form"]').trigger('submit');
    await flushPromises();
    expect(mounted.api.callsOf('slurm.profiles.set').at(-1)).toEqual({
      profile: { name: 'cpu-short', partition: undefined, timeLimit: '30', cpus: 4, memory: undefined, gpus: 0, account: undefined, qos: undefined, extraArgs: ['--constraint=avx2', '--exclusive'], jobRoot: '/scratch/lab/jobs', localPaths: ['/home/me', '/data/local'] },
    });
    expect(w.find('[data-test="slurm-profile-cpu-short"]').exists()).toBe(true);

    await w.get('[data-test="slurm-remove-lab"]').trigger('click');
    await flushPromises();
    expect(mounted.api.callsOf('slurm.profiles.remove')).toEqual([{ name: 'lab' }]);
    expect(w.find('[data-test="slurm-profile-lab"]').exists()).toBe(false);
  });
});

describe('"Run on" in job forms', () => {
  /** The export form for one model (its model fixed by the caller, as on the Compare page). */
  async function mountExportForm(profiles: SlurmProfile[]): Promise<Mounted> {
    const Host = defineComponent({ setup: () => () => h(FormJob, { def: jobForms['models.export'](), preset: { modelId: 9 } }) });
    return mountWithApi(Host, {
      handlers: {
        'slurm.profiles.list': () => profiles,
        'models.list': () => [],
        'models.export': () => job({ id: 9, kind: 'models.export', status: 'queued', progress: null }),
      },
    });
  }

  it('is not offered without a Slurm profile, and the job runs here', async () => {
    mounted = await mountExportForm([]);
    expect(mounted.wrapper.find('[data-test="export-run-on"]').exists()).toBe(false);
    await mounted.wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(mounted.api.callsOf('models.export').at(-1)).not.toHaveProperty('runOn');
  });

  it('offers every profile and sends runOn with the chosen one', async () => {
    mounted = await mountExportForm([lab]);
    const select = mounted.wrapper.get('[data-test="export-run-on"]');
    expect(select.findAll('option').map((o) => o.text())).toEqual(['This machine', 'Slurm (lab, gpu)']);
    await select.setValue('slurm:lab');
    await mounted.wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(mounted.api.callsOf('models.export').at(-1)).toMatchObject({ modelId: 9, runOn: { slurm: 'lab' } });
  });

  it('a refusal naming the profile shows on the "Run on" choice', async () => {
    mounted = await mountExportForm([lab]);
    mounted.api.handle('models.export', () => {
      throw new ApiError('invalid_request', 'Slurm has no partition "gpu" (sinfo lists: debug).', 'profile.partition');
    });
    await mounted.wrapper.get('[data-test="export-run-on"]').setValue('slurm:lab');
    await mounted.wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(mounted.wrapper.get('#export-run-on-error').text()).toContain('no partition "gpu"');
  });
});

describe('a Slurm job on the jobs panel', () => {
  it('shows its Slurm job id and pending reason, then its node', async () => {
    const pending: JobSummary = job({
      id: 12,
      runOn: { slurm: 'lab' },
      progress: null,
      slurm: { profile: 'lab', slurmJobId: '4711', phase: 'pending', reason: 'Resources', node: null, elapsedSeconds: null, limitSeconds: 7200 },
    });
    mounted = await mountWithApi(ShellJobsPanel, { handlers: { 'jobs.list': () => [pending] } });
    await useJobsStore().start();
    await flushPromises();
    expect(mounted.wrapper.get('[data-test="job-12"] [data-test="job-slurm"]').text()).toBe('Slurm (lab) job 4711: pending (Resources)');
    mounted.api.emit('job.updated', { ...pending, slurm: { ...pending.slurm!, phase: 'running', reason: null, node: 'gpu07', elapsedSeconds: 65 } });
    await flushPromises();
    expect(mounted.wrapper.get('[data-test="job-12"] [data-test="job-slurm"]').text()).toMatch(/^Slurm \(lab\) job 4711: on gpu07, 1m 05s of 2h/);
  });
});

describe('sweeps in Runs', () => {
  it('offers each sweep as a filter showing its members, with where each ran', async () => {
    const members = [1, 2, 3].map((i) =>
      job({ id: 20 + i, title: `Train rate 0.${i}`, status: 'succeeded', progress: null, sweepId: 'sw-1', runOn: { slurm: 'lab' }, slurm: { profile: 'lab', slurmJobId: `88_${i - 1}`, phase: 'ended', reason: null, node: 'vm', elapsedSeconds: null, limitSeconds: null } }),
    );
    mounted = await mountWithApi(RunsTable, { handlers: { 'jobs.list': () => [job({ id: 5, status: 'succeeded', progress: null }), ...members] } });
    await useJobsStore().start();
    await flushPromises();
    const w = mounted.wrapper;
    expect(w.findAll('[data-test="runs-table"] tbody tr')).toHaveLength(4);
    await w.get('[data-test="runs-sweep"]').setValue('sw-1');
    const rows = w.findAll('[data-test="runs-table"] tbody tr');
    expect(rows).toHaveLength(3);
    expect(rows.map((r) => r.find('[data-test="run-where"]').text()).sort()).toEqual(['Slurm (lab) 88_0', 'Slurm (lab) 88_1', 'Slurm (lab) 88_2']);
  });
});
