import { describe, it, expect } from 'vitest';
import { LOCALIZE_BENCH_HELP, meanRows, parseLocalizeBenchArgs } from '../../src-main/bench/localize/options.ts';

const defaults = { fashion: '/f', cifar: '/c' };

describe('bench:localize options', () => {
  it('defaults are the recorded run; seeds, set and schedule flags parse', () => {
    const o = parseLocalizeBenchArgs([], defaults);
    expect(o).toMatchObject({ help: false, setOnly: false, fashion: '/f', cifar: '/c', recipe: 'textured', canvas: 64, scale: [0.8, 1.3], contrast: 0.8, train: 2000, epochs: 6, lr: 0.03, schedule: 'cosine', spgStart: 3, seeds: [1], methods: ['cam', 'spg'] });
    const p = parseLocalizeBenchArgs(['--seeds', '1,2', '--scale', '1,1.6', '--contrast', '0.5', '--methods', 'cam', '--set-only', '--schedule', 'constant'], defaults);
    expect(p).toMatchObject({ seeds: [1, 2], scale: [1, 1.6], contrast: 0.5, methods: ['cam'], setOnly: true, schedule: 'constant' });
    expect(o).toMatchObject({ spgInit: 'none', initEpochs: 10, initLr: 0.03 });
    // The paper's order: SPG fine-tunes a trained CAM model, its guidance from the first epoch unless told.
    expect(parseLocalizeBenchArgs(['--spg-init', 'cam', '--init-epochs', '8', '--lr', '0.01'], defaults)).toMatchObject({ spgInit: 'cam', initEpochs: 8, initLr: 0.01, lr: 0.01, spgStart: 1 });
    expect(parseLocalizeBenchArgs(['--spg-init', 'cam', '--init-lr', '0.03', '--spg-start', '2'], defaults)).toMatchObject({ initLr: 0.03, spgStart: 2 });
    expect(parseLocalizeBenchArgs(['--help'], defaults).help).toBe(true);
    expect(LOCALIZE_BENCH_HELP).toContain('--set-only');
  });

  it.each([
    [['--seeds', '1,1'], /--seeds: "1,1" names a seed twice/],
    [['--scale', '2,1'], /--scale: expected LO,HI/],
    [['--contrast', '1.5'], /--contrast: expected a number in \(0, 1\]/],
    [['--methods', 'cam,acol'], /--methods: unknown method "acol"/],
    [['--schedule', 'step'], /--schedule: expected one of constant, cosine/],
    [['--epoch', '3'], /Unknown option --epoch/],
    [['--train'], /--train: expected a value/],
    [['--spg-init', 'acol'], /--spg-init: expected one of none, cam/],
    [['--spg-init', 'cam', '--methods', 'cam'], /--spg-init cam: --methods must include spg/],
    [['--init-epochs', '0'], /--init-epochs: expected an integer >= 1/],
  ])('%j is refused naming the flag', (args, message) => {
    expect(() => parseLocalizeBenchArgs(args, defaults)).toThrow(message);
  });

  it('means over seeds per row name, metrics a row lacks stay null', () => {
    const rows = meanRows([
      { name: 'CAM', top1Cls: 0.5, top1Loc: 0.2, gtKnownLoc: 0.4, maxBoxAccV2: 0.3, pxap: 0.2, trainSeconds: 10 },
      { name: 'CAM', top1Cls: 0.7, top1Loc: 0.4, gtKnownLoc: 0.6, maxBoxAccV2: 0.5, pxap: 0.4, trainSeconds: 20 },
      { name: 'centre box', top1Cls: null, top1Loc: null, gtKnownLoc: 0.03, maxBoxAccV2: 0.08, pxap: null },
    ]);
    expect(rows.map((r) => r.name)).toEqual(['CAM', 'centre box']);
    expect(rows[0]!.gtKnownLoc).toBeCloseTo(0.5, 12);
    expect(rows[0]!.trainSeconds).toBeCloseTo(15, 12);
    expect(rows[0]!.runs).toBe(2);
    expect(rows[1]).toMatchObject({ top1Cls: null, pxap: null, gtKnownLoc: 0.03, runs: 1 });
  });
});
