/**
 * The native TensorFlow packages are optionalDependencies: where their
 * libtensorflow download fails they are absent, and TypeScript must still
 * compile. They are only ever loaded with a dynamic import inside a try block
 * (backends/tensorflow.ts), and nothing beyond "it registers the `tensorflow`
 * backend" is used from them, so an untyped module is all we need.
 */
declare module '@tensorflow/tfjs-node';
declare module '@tensorflow/tfjs-node-gpu';
