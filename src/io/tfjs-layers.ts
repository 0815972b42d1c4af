/**
 * The TF.js layers format (model.json + weight files), both ways.
 *
 * Export, `toTfjsLayers(desc)`: a model.json object and the bytes of its one weight file,
 * laid out as `@tensorflow/tfjs` 4.x `model.save()` writes a Sequential of Dense layers:
 *   modelTopology: Sequential { layers: Dense 'dense_1' (batch_input_shape [null, inputSize]),
 *                  Dense 'dense_2', ... } with use_bias true and TF.js's default initializers
 *   weightsManifest: [{ paths: ['weights.bin'], weights: dense_1/kernel [in, units],
 *                  dense_1/bias [units], dense_2/kernel, ... all float32 }]
 *   weights.bin: those tensors back to back, little-endian float32.
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

import type { DenseLayerDescription, ModelDescription } from '../model/description.js';
import { assertExportable, assertValidDescription } from './description-checks.js';
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
  assertExportable(desc, 'toTfjsLayers');
  const weightSpecs: TfjsWeightsManifestEntry[] = [];
  const tensors: Float32Array[] = [];
  let inputs = desc.inputSize;

  const layers = desc.layers.map((layer, index) => {
    const name = `dense_${index + 1}`;
    weightSpecs.push({ name: `${name}/kernel`, shape: [inputs, layer.units], dtype: 'float32' });
    weightSpecs.push({ name: `${name}/bias`, shape: [layer.units], dtype: 'float32' });
    tensors.push(layer.weights, layer.bias);
    const config = denseLayerConfig(name, layer, index === 0 ? desc.inputSize : null);
    inputs = layer.units;
    return { class_name: 'Dense', config };
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

/** A Dense config as tfjs-layers serializes it; the first layer also declares the input shape. */
function denseLayerConfig(
  name: string,
  layer: DenseLayerDescription,
  inputSize: number | null,
): Record<string, unknown> {
  return {
    units: layer.units,
    activation: layer.activation,
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
    return { units: dense.units, activation: dense.activation, weights: kernel.values, bias };
  });

  if (unusedWeights.size > 0) {
    throw new Error(`${context}: weights [${[...unusedWeights].join(', ')}] in the manifest belong to no Dense layer`);
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
function findLayerWeight(
  weights: DecodedWeight[],
  layerName: string,
  kind: 'kernel' | 'bias',
  where: string,
): DecodedWeight {
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
