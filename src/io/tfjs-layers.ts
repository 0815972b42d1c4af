/**
 * The TF.js layers format (model.json + weight files), both ways.
 *
 * Export, `toTfjsLayers(desc)`: a model.json object and the bytes of its one weight file,
 * laid out as `@tensorflow/tfjs` 4.x `model.save()` writes a Sequential:
 *   modelTopology: Sequential { layers: per simdnet layer k (1-based)
 *       Dense 'dense_k' (the first with batch_input_shape [null, inputSize]), use_bias true,
 *             activation: the layer's Keras name (below) when it is a Dense activation and
 *             there is no batch norm, else 'linear'
 *       BatchNormalization 'batch_normalization_k'   with batch norm: axis -1, epsilon,
 *             momentum = 1 - PyTorch momentum (Keras weighs the old running value: 0.1 -> 0.9)
 *       Activation 'activation_k'                   the activation, after batch norm
 *       LeakyReLU 'leaky_re_lu_k' {alpha}           for leakyRelu
 *       Dropout 'dropout_k' {rate}                  with dropout (the identity at inference) }
 *   weightsManifest: [{ paths: ['weights.bin'], weights: dense_k/kernel [in, units], dense_k/bias [units],
 *             batch_normalization_k/gamma, /beta, /moving_mean, /moving_variance [units], ... all float32 }]
 *   weights.bin: those tensors back to back, little-endian float32.
 * Activation names: linear, sigmoid, tanh, relu, softplus, softmax, elu, selu, gelu (the
 * exact erf form in tfjs 4.22 and Keras), swish (silu). leakyRelu is always a LeakyReLU layer:
 * tfjs has no activation string for it. Refused with an Error, because tfjs 4.22 cannot load
 * them: geluTanh (tfjs writes 'gelu_new' but looks it up as 'geluNew') and elu with α ≠ 1
 * (tfjs' ELU layer throws NotImplementedError for it).
 * Load it with tf.loadLayersModel('…/model.json') or tf.io.fromMemory(...).
 * Keras kernels are [in, units] row-major: the same layout as ModelDescription.weights.
 *
 * Import, `fromTfjsLayers(modelJson, weights)`: reads what tfjs `model.save()` and the
 * Python tensorflowjs converter write for dense networks (Sequential, TF.js 'Model' and Keras
 * 'Functional' chains; Keras 2 and Keras 3 configs), see ./tfjs-topology.ts for the accepted
 * layers and ./tfjs-weights.ts for the accepted weight encodings. Dense layers without a bias
 * get a zero bias. Every mismatch between topology and manifest is an Error that names the
 * layer; so is a manifest weight that no layer uses.
 */

import type { Activation, DenseLayerDescription, ModelDescription } from '../model/description.js';
import { assertValidDescription } from './description-checks.js';
import { readDenseChain } from './tfjs-topology.js';
import {
  decodeWeights,
  encodeFloat32Weights,
  type DecodedWeight,
  type TfjsWeightData,
  type TfjsWeightsManifestEntry,
  type TfjsWeightsManifestGroup,
} from './tfjs-weights.js';

export type { TfjsWeightData, TfjsWeightsManifestEntry, TfjsWeightsManifestGroup } from './tfjs-weights.js';

/** A parsed model.json. `weightSpecs` instead of `weightsManifest` is the tf.io.ModelArtifacts form. */
export interface TfjsLayersModelJson {
  /** `'layers-model'` for the TF.js layers format. */
  format?: string;
  /** The writer, e.g. `'TensorFlow.js tfjs-layers v4.22.0'` or `'simdnet'`. */
  generatedBy?: string;
  /** The converter, e.g. `'TensorFlow.js Converter v4.22.0'`; null when saved by tfjs itself. */
  convertedBy?: string | null;
  /** The Keras model config (`{ class_name, config }`); only chains of Dense layers are read. */
  modelTopology: unknown;
  /** The weight files and the tensors each holds, in order (the model.json form). */
  weightsManifest?: TfjsWeightsManifestGroup[];
  /** The tensors of one concatenated weight buffer (the tf.io.ModelArtifacts form). */
  weightSpecs?: TfjsWeightsManifestEntry[];
}

/** Options of {@link toTfjsLayers}. */
export interface TfjsLayersExportOptions {
  /** The Sequential model's name. Default 'sequential_1'. */
  modelName?: string;
  /** The weight file's path as written in the manifest, relative to model.json. Default 'weights.bin'. */
  weightsPath?: string;
  /** model.json's generatedBy. Default 'simdnet'. */
  generatedBy?: string;
}

/** What {@link toTfjsLayers} returns: write `modelJson` as model.json and `weightsBin` beside it. */
export interface TfjsLayersExport {
  /** The model.json object (serialise it with `JSON.stringify`). */
  modelJson: TfjsLayersModelJson & {
    /** Always `'layers-model'`. */
    format: 'layers-model';
    /** One group: the weight file `weightsPath`, with every kernel [in, units] and bias [units] as float32. */
    weightsManifest: TfjsWeightsManifestGroup[];
  };
  /** The contents of the file named by `weightsPath`. */
  weightsBin: Uint8Array;
}

/** The topology layout we write mirrors this tfjs-layers version's output. */
const TFJS_LAYERS_SCHEMA = 'tfjs-layers 4.22.0';

// --- export -----------------------------------------------------------------------------

/**
 * Exports a model to the TF.js layers format: a Sequential of Dense layers, as
 * `@tensorflow/tfjs` 4.x `model.save()` writes it. Load the result with
 * `tf.loadLayersModel('…/model.json')` or `tf.io.fromMemory(...)`.
 *
 * @param desc - The network, e.g. from {@link Model.describe}.
 * @param options - Names written into the files; see {@link TfjsLayersExportOptions}.
 * @returns model.json's object and the weight file's bytes.
 * @throws Error when the description is malformed (shapes, non-finite weights).
 *
 * @example
 * ```ts
 * const { modelJson, weightsBin } = toTfjsLayers(model.describe());
 * await writeFile('model.json', JSON.stringify(modelJson));
 * await writeFile('weights.bin', weightsBin);
 * ```
 */
export function toTfjsLayers(desc: ModelDescription, options: TfjsLayersExportOptions = {}): TfjsLayersExport {
  assertValidDescription(desc, 'toTfjsLayers');
  assertTfjsLoadable(desc);
  const weightSpecs: TfjsWeightsManifestEntry[] = [];
  const tensors: Float32Array[] = [];
  let inputs = desc.inputSize;

  const layers = desc.layers.flatMap((layer, index) => {
    const k = index + 1;
    const name = `dense_${k}`;
    weightSpecs.push({ name: `${name}/kernel`, shape: [inputs, layer.units], dtype: 'float32' });
    weightSpecs.push({ name: `${name}/bias`, shape: [layer.units], dtype: 'float32' });
    tensors.push(layer.weights, layer.bias);
    const separate = activationLayer(layer, k);
    const inDense = layer.batchNorm || separate ? 'linear' : KERAS_ACTIVATION_NAMES[layer.activation];
    const out: { class_name: string; config: Record<string, unknown> }[] = [
      {
        class_name: 'Dense',
        config: denseLayerConfig(name, layer.units, inDense, index === 0 ? desc.inputSize : null),
      },
    ];
    const bn = layer.batchNorm;
    if (bn) {
      const bnName = `batch_normalization_${k}`;
      for (const [weight, values] of [
        ['gamma', bn.gamma],
        ['beta', bn.beta],
        ['moving_mean', bn.runningMean],
        ['moving_variance', bn.runningVar],
      ] as const) {
        weightSpecs.push({ name: `${bnName}/${weight}`, shape: [layer.units], dtype: 'float32' });
        tensors.push(values);
      }
      out.push({ class_name: 'BatchNormalization', config: batchNormConfig(bnName, bn.epsilon, bn.momentum) });
      if (!separate && layer.activation !== 'linear')
        out.push({
          class_name: 'Activation',
          config: { activation: KERAS_ACTIVATION_NAMES[layer.activation], name: `activation_${k}`, trainable: true },
        });
    }
    if (separate) out.push(separate);
    if (layer.dropout)
      out.push({
        class_name: 'Dropout',
        config: { rate: layer.dropout, noise_shape: null, seed: null, name: `dropout_${k}`, trainable: true },
      });
    inputs = layer.units;
    return out;
  });

  return {
    modelJson: {
      format: 'layers-model',
      generatedBy: options.generatedBy ?? 'simdnet',
      convertedBy: null,
      modelTopology: {
        class_name: 'Sequential',
        config: { name: options.modelName ?? 'sequential_1', layers },
        keras_version: TFJS_LAYERS_SCHEMA,
        backend: 'tensor_flow.js',
      },
      weightsManifest: [{ paths: [options.weightsPath ?? 'weights.bin'], weights: weightSpecs }],
    },
    weightsBin: encodeFloat32Weights(tensors),
  };
}

/**
 * What @tensorflow/tfjs 4.22 cannot load from a model.json: its tanh-form GELU ('gelu_new' is
 * looked up as 'geluNew', which is not registered) and an ELU layer with α ≠ 1 (its ELU layer
 * throws NotImplementedError). Refused with the reason rather than written unloadable.
 */
function assertTfjsLoadable(desc: ModelDescription): void {
  desc.layers.forEach((layer, index) => {
    if (layer.activation === 'geluTanh')
      throw new Error(
        `toTfjsLayers: layer ${index}: 'geluTanh' has no loadable TF.js form (tfjs 4.22 writes its tanh GELU as 'gelu_new' but cannot read that name back); use 'gelu' (erf) or export ONNX`,
      );
    if (layer.activation === 'elu' && (layer.alpha ?? 1) !== 1)
      throw new Error(
        `toTfjsLayers: layer ${index}: elu with alpha ${layer.alpha} has no TF.js form (tfjs 4.22's ELU layer supports alpha 1 only); export ONNX instead`,
      );
  });
}

/** simdnet activation -> the tfjs/Keras activation identifier (leakyRelu: a LeakyReLU layer instead). */
const KERAS_ACTIVATION_NAMES: Record<Activation, string> = {
  linear: 'linear',
  sigmoid: 'sigmoid',
  tanh: 'tanh',
  relu: 'relu',
  softplus: 'softplus',
  softmax: 'softmax',
  leakyRelu: 'linear',
  elu: 'elu',
  selu: 'selu',
  gelu: 'gelu',
  geluTanh: 'gelu_new', // refused by assertTfjsLoadable; read on import
  silu: 'swish',
};

/** The LeakyReLU layer for leakyRelu, which has no tfjs activation string; else null. */
function activationLayer(
  layer: DenseLayerDescription,
  k: number,
): { class_name: string; config: Record<string, unknown> } | null {
  if (layer.activation === 'leakyRelu')
    return {
      class_name: 'LeakyReLU',
      config: { alpha: layer.alpha ?? 0.01, name: `leaky_re_lu_${k}`, trainable: true },
    };
  return null;
}

/** A BatchNormalization config as tfjs-layers serializes it; Keras' momentum = 1 - PyTorch's. */
function batchNormConfig(name: string, epsilon: number, momentum: number): Record<string, unknown> {
  return {
    axis: -1,
    momentum: 1 - momentum,
    epsilon,
    center: true,
    scale: true,
    beta_initializer: { class_name: 'Zeros', config: {} },
    gamma_initializer: { class_name: 'Ones', config: {} },
    moving_mean_initializer: { class_name: 'Zeros', config: {} },
    moving_variance_initializer: { class_name: 'Ones', config: {} },
    beta_regularizer: null,
    gamma_regularizer: null,
    beta_constraint: null,
    gamma_constraint: null,
    name,
    trainable: true,
  };
}

/** A Dense config as tfjs-layers serializes it; the first layer also declares the input shape. */
function denseLayerConfig(
  name: string,
  units: number,
  activation: string,
  inputSize: number | null,
): Record<string, unknown> {
  return {
    units,
    activation,
    use_bias: true,
    // tf.layers.dense's defaults (glorotNormal, zeros): used only if the model is re-initialised.
    kernel_initializer: {
      class_name: 'VarianceScaling',
      config: { scale: 1, mode: 'fan_avg', distribution: 'normal', seed: null },
    },
    bias_initializer: { class_name: 'Zeros', config: {} },
    kernel_regularizer: null,
    bias_regularizer: null,
    activity_regularizer: null,
    kernel_constraint: null,
    bias_constraint: null,
    name,
    trainable: true,
    ...(inputSize === null ? {} : { batch_input_shape: [null, inputSize], dtype: 'float32' }),
  };
}

// --- import -----------------------------------------------------------------------------

/**
 * Reads a TF.js layers model of Dense layers.
 *
 * @param modelJson the parsed model.json (or its text), or the artifacts tfjs hands a save
 *   handler (modelTopology + weightSpecs)
 * @param weights the weight files' bytes: one buffer holding every file concatenated in
 *   manifest order (as artifacts.weightData), or one buffer per manifest path, in order
 * @returns the network's description; {@link modelFromDescription} makes a Model of it
 * @throws Error naming the layer or weight when the topology is not a chain of Dense layers
 *   simdnet supports, or the manifest and the weights do not match it
 * @example
 *   const description = fromTfjsLayers(JSON.parse(modelJsonText), weightsBin);
 *   const model = await modelFromDescription(description);
 */
export function fromTfjsLayers(modelJson: TfjsLayersModelJson | string, weights: TfjsWeightData): ModelDescription {
  const context = 'fromTfjsLayers';
  const json = parseModelJson(modelJson, context);
  const topology = readDenseChain(json.modelTopology, context);
  const decoded = decodeWeights(weightsManifestOf(json, context), weights, context);
  const unusedWeights = new Set(decoded.map((weight) => weight.name));

  // The declared input shape (flattened), else the first kernel's row count.
  const firstDense = topology.denseLayers[0];
  const inputSize =
    topology.inputShape?.reduce((a, b) => a * b, 1) ??
    findLayerWeight(decoded, firstDense.name, 'kernel', `${context}: Dense layer '${firstDense.name}'`).shape[0] ??
    0;
  let inputs = inputSize;
  const layers = topology.denseLayers.map((dense): DenseLayerDescription => {
    const where = `${context}: Dense layer '${dense.name}'`;
    const kernel = findLayerWeight(decoded, dense.name, 'kernel', where);
    unusedWeights.delete(kernel.name);
    const expectedKernelShape = [inputs, dense.units];
    if (
      kernel.shape.length !== 2 ||
      kernel.shape[0] !== expectedKernelShape[0] ||
      kernel.shape[1] !== expectedKernelShape[1]
    ) {
      throw new Error(
        `${where}: kernel '${kernel.name}' has shape [${kernel.shape.join(', ')}] in the weights manifest, ` +
          `but the topology needs [${expectedKernelShape.join(', ')}]`,
      );
    }
    let bias: Float32Array = new Float32Array(dense.units);
    if (dense.useBias) {
      const biasWeight = findLayerWeight(decoded, dense.name, 'bias', where);
      unusedWeights.delete(biasWeight.name);
      if (biasWeight.shape.length !== 1 || biasWeight.shape[0] !== dense.units) {
        throw new Error(
          `${where}: bias '${biasWeight.name}' has shape [${biasWeight.shape.join(', ')}] in the weights manifest, ` +
            `but the topology needs [${dense.units}]`,
        );
      }
      bias = biasWeight.values;
    }
    inputs = dense.units;
    const layer: DenseLayerDescription = {
      units: dense.units,
      activation: dense.activation,
      weights: kernel.values,
      bias,
    };
    if (dense.alpha !== undefined) layer.alpha = dense.alpha;
    if (dense.dropout !== undefined) layer.dropout = dense.dropout;
    const bn = dense.batchNorm;
    if (bn) {
      const vector = (kind: string, present: boolean, fill: number): Float32Array => {
        if (!present) return new Float32Array(dense.units).fill(fill);
        const weight = findLayerWeight(decoded, bn.name, kind, `${context}: BatchNormalization layer '${bn.name}'`);
        unusedWeights.delete(weight.name);
        if (weight.shape.length !== 1 || weight.shape[0] !== dense.units)
          throw new Error(
            `${context}: BatchNormalization layer '${bn.name}': '${weight.name}' has shape [${weight.shape.join(', ')}] in the weights manifest, but the Dense before it needs [${dense.units}]`,
          );
        return weight.values;
      };
      layer.batchNorm = {
        gamma: vector('gamma', bn.scale, 1),
        beta: vector('beta', bn.center, 0),
        runningMean: vector('moving_mean', true, 0),
        runningVar: vector('moving_variance', true, 1),
        epsilon: bn.epsilon,
        momentum: bn.momentum,
      };
    }
    return layer;
  });

  if (unusedWeights.size > 0) {
    throw new Error(
      `${context}: weights [${[...unusedWeights].join(', ')}] in the manifest belong to no Dense or BatchNormalization layer`,
    );
  }
  const desc: ModelDescription = { inputSize, layers };
  assertValidDescription(desc, context);
  return desc;
}

function parseModelJson(modelJson: TfjsLayersModelJson | string, context: string): TfjsLayersModelJson {
  let json: unknown = modelJson;
  if (typeof modelJson === 'string') {
    try {
      json = JSON.parse(modelJson);
    } catch (error) {
      throw new Error(`${context}: model.json is not valid JSON (${(error as Error).message})`);
    }
  }
  if (typeof json !== 'object' || json === null) throw new Error(`${context}: model.json must be an object`);
  const format = (json as TfjsLayersModelJson).format;
  if (format !== undefined && format !== 'layers-model') {
    throw new Error(
      `${context}: model.json has format '${format}'; only 'layers-model' (a TF.js layers model) can be read`,
    );
  }
  if ((json as TfjsLayersModelJson).modelTopology === undefined)
    throw new Error(`${context}: model.json has no modelTopology`);
  return json as TfjsLayersModelJson;
}

function weightsManifestOf(json: TfjsLayersModelJson, context: string): TfjsWeightsManifestGroup[] {
  if (json.weightsManifest !== undefined) return json.weightsManifest;
  if (Array.isArray(json.weightSpecs)) return [{ paths: ['weightData'], weights: json.weightSpecs }];
  throw new Error(`${context}: model.json has neither weightsManifest nor weightSpecs`);
}

/**
 * The manifest weight for `<layer>/<kind>`. Exact names win; otherwise a name ending in
 * `/<layer>/<kind>` (a scope prefix such as 'sequential/') is accepted if unique.
 * A trailing ':0' (TensorFlow variable names) is ignored.
 */
function findLayerWeight(weights: DecodedWeight[], layerName: string, kind: string, where: string): DecodedWeight {
  const wanted = `${layerName}/${kind}`;
  const plainName = (weight: DecodedWeight) => weight.name.replace(/:0$/, '');
  const exact = weights.filter((weight) => plainName(weight) === wanted);
  const candidates = exact.length > 0 ? exact : weights.filter((weight) => plainName(weight).endsWith(`/${wanted}`));
  if (candidates.length === 1) return candidates[0];
  if (candidates.length === 0) {
    throw new Error(
      `${where}: no weight '${wanted}' in the weights manifest (it has: ${weights.map((w) => w.name).join(', ') || 'nothing'})`,
    );
  }
  throw new Error(`${where}: several weights match '${wanted}': ${candidates.map((w) => w.name).join(', ')}`);
}
