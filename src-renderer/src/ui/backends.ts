/** How the compute backends read in a select; typed over every choice, so a new backend cannot be left out. */
import { backendChoices, type BackendChoice } from '../../../src-main/common/contract/index.ts';

export const backendLabels: Record<BackendChoice, string> = {
  auto: 'Auto',
  tensorflow: 'TensorFlow (native)',
  wasm: 'WebAssembly',
  cpu: 'JavaScript (slow)',
};

export const backendOptions = backendChoices.map((value) => ({ value, label: backendLabels[value] }));
