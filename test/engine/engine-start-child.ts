/** Child of native-isa-env.test.ts: starts the engine under the caller's environment and prints its device line. */
import { initEngine } from '../../src-main/engine/init.ts';

const engine = await initEngine({ backend: 'wasm' });
console.log(engine.device);
process.exit(0);
