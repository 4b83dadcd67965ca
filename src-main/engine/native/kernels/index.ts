/**
 * The native kernels, one file each, listed once (like ../../kernels/index.ts): every entry
 * names the addon function it calls (src/kernels/index.cc exports them) and builds the TF.js
 * kernel configs it replaces.
 */
import { adamUpdateNative } from './adam.ts';
import { batchNormGradNative } from './batch-norm-grad.ts';
import { batchNormMomentsNative } from './batch-norm-moments.ts';
import { batchNormScaleShiftNative } from './batch-norm-scale-shift.ts';
import { conv2dBackpropFilterNative } from './conv2d-backprop-filter.ts';
import { conv2dBackpropInputNative } from './conv2d-backprop-input.ts';
import { conv2dNative } from './conv2d.ts';
import { convTailNative } from './conv-tail.ts';
import { elementwiseNative } from './elementwise.ts';
import { instanceNormGradNative, instanceNormNative } from './instance-norm.ts';
import { reflectPadGradNative } from './reflect-pad-grad.ts';
import { sgdMomentumUpdateNative } from './sgd-momentum.ts';
import { runningStatsUpdateNative } from './running-stats.ts';
import { spatialMeanNative } from './spatial-mean.ts';
import type { NativeKernel } from '../kernel-support.ts';

export const nativeKernels: readonly NativeKernel[] = [
  elementwiseNative,
  conv2dNative,
  convTailNative,
  conv2dBackpropFilterNative,
  conv2dBackpropInputNative,
  batchNormMomentsNative,
  batchNormScaleShiftNative,
  batchNormGradNative,
  instanceNormNative,
  instanceNormGradNative,
  adamUpdateNative,
  sgdMomentumUpdateNative,
  runningStatsUpdateNative,
  reflectPadGradNative,
  spatialMeanNative,
];
