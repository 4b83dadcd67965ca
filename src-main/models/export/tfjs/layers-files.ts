/**
 * TF.js layers format on disk: model.json (topology + weights manifest) and
 * binary weight shards, as `tf.io.browserHTTPRequest` / `file://` handlers
 * expect them. Written through a custom save handler because the file:// one
 * lives in tfjs-node, which cannot be installed everywhere.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

export const MODEL_JSON = 'model.json';
/** tfjs-converter's default shard size: small enough for browser caches and HTTP range-free fetches. */
const SHARD_BYTES = 4 * 1024 * 1024;

export interface LayersFiles {
  /** Every file written, model.json first; absolute paths. */
  files: string[];
}

function shardName(i: number, count: number): string {
  return `group1-shard${i + 1}of${count}.bin`;
}

/** Saves `model` as model.json + shards into `dir` (created if needed). */
export async function saveLayersModel(model: tfl.LayersModel, dir: string, userDefinedMetadata: Record<string, string | number | boolean> = {}): Promise<LayersFiles> {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      if (!artifacts.weightData || !artifacts.weightSpecs) throw new Error('The model produced no weights to save.');
      const data = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData));
      const count = Math.max(1, Math.ceil(data.byteLength / SHARD_BYTES));
      const paths: string[] = [];
      for (let i = 0; i < count; i++) {
        const name = shardName(i, count);
        writeFileSync(path.join(dir, name), data.subarray(i * SHARD_BYTES, Math.min(data.byteLength, (i + 1) * SHARD_BYTES)));
        paths.push(name);
        written.push(path.join(dir, name));
      }
      const json: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as object,
        format: 'layers-model',
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tfl.version_layers}`,
        convertedBy: 'workbench',
        weightsManifest: [{ paths, weights: artifacts.weightSpecs }],
        userDefinedMetadata,
      };
      writeFileSync(path.join(dir, MODEL_JSON), JSON.stringify(json));
      written.unshift(path.join(dir, MODEL_JSON));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  return { files: written };
}

/** An IOHandler that reads a saved layers model (model.json + shards) from a folder. */
export function layersFolderHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const jsonPath = path.join(dir, MODEL_JSON);
      let json: tf.io.ModelJSON;
      try {
        json = JSON.parse(readFileSync(jsonPath, 'utf8')) as tf.io.ModelJSON;
      } catch (err) {
        throw new Error(`${jsonPath}: not a readable model.json (${(err as Error).message})`);
      }
      if (!json.modelTopology || !Array.isArray(json.weightsManifest)) throw new Error(`${jsonPath}: no modelTopology or weightsManifest.`);
      const buffers: ArrayBuffer[] = [];
      const specs: tf.io.WeightsManifestEntry[] = [];
      for (const group of json.weightsManifest) {
        for (const p of group.paths) {
          const bytes = readFileSync(path.join(dir, p));
          buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
        }
        specs.push(...group.weights);
      }
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        weightSpecs: specs,
        weightData: tf.io.CompositeArrayBuffer.join(buffers),
        userDefinedMetadata: json.userDefinedMetadata,
      };
    },
  };
}

/** Loads a layers model saved by saveLayersModel (or any TF.js layers export) from a folder. */
export async function loadLayersModelFromFolder(dir: string): Promise<tfl.LayersModel> {
  return tfl.loadLayersModel(layersFolderHandler(dir));
}
