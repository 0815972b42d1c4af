/**
 * Test helpers around @tensorflow/tfjs (cpu backend): loading our exports, capturing what
 * `model.save()` writes, and predicting.
 */

import * as tf from '@tensorflow/tfjs';
import type { TfjsLayersExport, TfjsLayersModelJson } from '../../src/io/tfjs-layers.js';

export async function useCpuBackend(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
}

/** Loads an export through tf.io.fromMemory, after a JSON text round trip as a file would do. */
export async function loadExportInTfjs(exported: TfjsLayersExport): Promise<tf.LayersModel> {
  const modelJson = JSON.parse(JSON.stringify(exported.modelJson)) as TfjsLayersModelJson;
  const bytes = exported.weightsBin;
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: modelJson.modelTopology as object,
      weightSpecs: modelJson.weightsManifest!.flatMap((group) => group.weights) as tf.io.WeightsManifestEntry[],
      weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    }),
  );
}

/** What `model.save()` hands a save handler. */
export async function saveArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return captured!;
}

/**
 * The model.json + weights.bin a file save would produce from those artifacts:
 * one manifest group, one weight file holding artifacts.weightData.
 */
export function artifactsToFiles(artifacts: tf.io.ModelArtifacts): {
  modelJson: TfjsLayersModelJson;
  weightsBin: Uint8Array;
} {
  const weightData = artifacts.weightData!;
  const buffers = Array.isArray(weightData) ? weightData : [weightData];
  const weightsBin = new Uint8Array(buffers.reduce((sum, b) => sum + b.byteLength, 0));
  let offset = 0;
  for (const buffer of buffers) {
    weightsBin.set(new Uint8Array(buffer), offset);
    offset += buffer.byteLength;
  }
  const modelJson = JSON.parse(
    JSON.stringify({
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy,
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
    }),
  ) as TfjsLayersModelJson;
  return { modelJson, weightsBin };
}

/** model.predict on a [batch, ...featureShape] float32 batch, as a flat Float32Array. */
export function predict(model: tf.LayersModel, input: Float32Array, shape: number[]): Float32Array {
  return tf.tidy(() => (model.predict(tf.tensor(input, shape)) as tf.Tensor).dataSync() as Float32Array);
}
