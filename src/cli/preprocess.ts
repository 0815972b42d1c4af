/**
 * The input and target scaling the CLI applies around a model, as plain
 * statistics that travel in the model's metadata (see metadata.ts):
 *
 *   features  x' = x · m + a,  m = 1/std (0 where std = 0),  a = -mean · m
 *             (the same affine map, in the same order of operations, as the
 *             library's standardScaler, so training and later runs agree bit for bit)
 *   target    y' = (y - mean) / std   while training;   y = y' · std + mean   on output
 *
 * foldStandardization() moves both maps into the first and last dense layers, so
 * an exported ONNX / TF.js model takes raw features and returns raw targets.
 */
import type { Dataset } from '../data/dataset.js';
import { standardScaler } from '../data/transform.js';
import type { ModelDescription } from '../model/description.js';
import type { Standardization } from './metadata.js';

/** Per-feature mean and (population) standard deviation of `train`'s inputs. */
export function fitStandardization(train: Dataset): Standardization {
  const scaler = standardScaler().fit(train);
  return { mean: Array.from(scaler.mean!), std: Array.from(scaler.std!) };
}

function affine(stats: Standardization): { multiplier: Float64Array; addend: Float64Array } {
  const multiplier = Float64Array.from(stats.std, (s) => (s > 0 ? 1 / s : 0));
  const addend = Float64Array.from(stats.mean, (m, j) => -m * multiplier[j]);
  return { multiplier, addend };
}

/** A copy of `dataset` with standardized Float32 inputs (inputScale 1); labels/targets shared. */
export function standardizeInputs(dataset: Dataset, stats: Standardization): Dataset {
  const { multiplier, addend } = affine(stats);
  const { count, inputSize, inputs } = dataset;
  const scale = dataset.inputScale ?? 1;
  const scaled = new Float32Array(count * inputSize);
  for (let row = 0; row < count; row++) {
    for (let feature = 0; feature < inputSize; feature++) {
      const at = row * inputSize + feature;
      scaled[at] = inputs[at] * scale * multiplier[feature] + addend[feature];
    }
  }
  return { ...dataset, inputs: scaled, inputScale: undefined };
}

/** Mean and standard deviation of each target column (targets [count, targetSize]). */
export function fitTargetStandardization(dataset: Dataset): Standardization {
  const size = dataset.targetSize ?? 1;
  const targets = dataset.targets!;
  const mean = new Array<number>(size).fill(0);
  const variance = new Array<number>(size).fill(0);
  for (let i = 0; i < targets.length; i++) mean[i % size] += targets[i];
  for (let j = 0; j < size; j++) mean[j] /= dataset.count;
  for (let i = 0; i < targets.length; i++) variance[i % size] += (targets[i] - mean[i % size]) ** 2;
  return { mean, std: variance.map((v) => Math.sqrt(v / dataset.count)) };
}

/** A copy of `dataset` whose targets are (y - mean) / std (unchanged where std = 0). */
export function standardizeTargets(dataset: Dataset, stats: Standardization): Dataset {
  const size = stats.mean.length;
  const targets = Float32Array.from(dataset.targets!, (y, i) => {
    const s = stats.std[i % size];
    return s > 0 ? (y - stats.mean[i % size]) / s : y - stats.mean[i % size];
  });
  return { ...dataset, targets };
}

/** Model outputs [count, size] mapped back to target units, in place. */
export function unstandardizeOutputs(outputs: Float32Array, stats: Standardization): Float32Array {
  const size = stats.mean.length;
  for (let i = 0; i < outputs.length; i++) {
    const s = stats.std[i % size];
    outputs[i] = outputs[i] * (s > 0 ? s : 1) + stats.mean[i % size];
  }
  return outputs;
}

/**
 * The same network with the feature map folded into layer 0 and the target map into
 * the last layer (which must be linear), computed in f64 and rounded once to f32:
 *   layer 0:  W'[i, o] = m_i · W[i, o]          b'[o] = b[o] + Σ_i a_i · W[i, o]
 *   last:     W'[i, o] = W[i, o] · std_o        b'[o] = b[o] · std_o + mean_o
 */
export function foldStandardization(
  desc: ModelDescription,
  features?: Standardization,
  target?: Standardization,
): ModelDescription {
  const layers = desc.layers.map((layer) => ({ ...layer, weights: layer.weights.slice(), bias: layer.bias.slice() }));
  if (features) {
    const { multiplier, addend } = affine(features);
    const first = desc.layers[0];
    const units = first.units;
    const bias = Float64Array.from(first.bias);
    for (let i = 0; i < desc.inputSize; i++) {
      for (let o = 0; o < units; o++) {
        const w = first.weights[i * units + o];
        layers[0].weights[i * units + o] = w * multiplier[i];
        bias[o] += addend[i] * w;
      }
    }
    layers[0].bias = Float32Array.from(bias);
  }
  if (target) {
    const last = layers[layers.length - 1];
    if (last.activation !== 'linear')
      throw new Error(`the target scaling can only be folded into a linear output layer, not ${last.activation}`);
    const units = last.units;
    const scale = target.std.map((s) => (s > 0 ? s : 1));
    const source = desc.layers[layers.length - 1];
    for (let i = 0; i < source.weights.length; i++) last.weights[i] = source.weights[i] * scale[i % units];
    for (let o = 0; o < units; o++) last.bias[o] = source.bias[o] * scale[o] + target.mean[o];
  }
  return { inputSize: desc.inputSize, layers };
}
