/**
 * Reads a Keras / TF.js `modelTopology` and reduces it to a chain of Dense layers.
 *
 * Accepted model forms:
 *   - Sequential: { class_name: 'Sequential', config: { layers: [...] } }, and the
 *     pre-Keras-2.2.3 form where `config` is the layer list itself;
 *   - functional: { class_name: 'Model' (TF.js) | 'Functional' (Keras), config: { layers,
 *     input_layers, output_layers } } whose layers form a single chain from one input to
 *     one output, with inbound_nodes in the Keras 2 / TF.js form [[[name, 0, 0, {}]]] or the
 *     Keras 3 form [{ args: [{ class_name: '__keras_tensor__', config: { keras_history } }] }];
 *   - either of these wrapped as { model_config: ..., keras_version, backend } (what the
 *     Python converter writes).
 *
 * Accepted layers (anything else is an Error naming its class and name):
 *   InputLayer       declares the input shape (batch_input_shape, or Keras 3's batch_shape)
 *   Dense            units, activation, use_bias; the only layer with weights
 *   Activation       folded into the preceding Dense when that Dense is linear
 *   LeakyReLU {alpha | negative_slope, default 0.3}, ELU {alpha, default 1}
 *                    the same, as leakyRelu / elu with that alpha
 *   BatchNormalization   right after a linear Dense (before its activation), on the feature
 *                    axis (-1 or 1): epsilon (default 1e-3), momentum (default 0.99) read as
 *                    PyTorch's 1 - momentum; weights <name>/gamma, beta, moving_mean,
 *                    moving_variance (gamma absent with scale false: ones; beta with center false: zeros)
 *   Flatten          identity on 1-D features; before the first Dense it flattens a
 *                    multi-dimensional input row-major, so the model's inputSize is the
 *                    product of the input dims and callers feed flattened rows
 *   Dropout {rate}   identity at inference; its rate becomes the preceding Dense layer's dropout
 *   AlphaDropout, GaussianDropout, GaussianNoise
 *                    identity at inference, which is all an exported model does
 * Activation names: linear, sigmoid, tanh, relu, softplus, softmax, elu, selu, gelu (erf),
 * gelu_new (tanh form: geluTanh), swish / silu (silu), leaky_relu (Keras 3's function, α 0.2).
 */

import type { Activation } from '../model/description.js';

export interface DenseLayerTopology {
  /** The Keras layer name: weights are looked up as `<name>/kernel` and `<name>/bias`. */
  name: string;
  units: number;
  activation: Activation;
  useBias: boolean;
  /** α of leakyRelu / elu. */
  alpha?: number;
  /** The BatchNormalization layer after the Dense, if any. */
  batchNorm?: BatchNormTopology;
  /** The rate of a Dropout layer after it, if any. */
  dropout?: number;
}

/** A BatchNormalization layer's config, with momentum in PyTorch's convention. */
export interface BatchNormTopology {
  /** The Keras layer name: weights are `<name>/gamma`, `/beta`, `/moving_mean`, `/moving_variance`. */
  name: string;
  epsilon: number;
  /** PyTorch's momentum: 1 - Keras' momentum. */
  momentum: number;
  /** Whether beta is a weight (else zeros). */
  center: boolean;
  /** Whether gamma is a weight (else ones). */
  scale: boolean;
}

export interface DenseChainTopology {
  /** The declared per-example input shape (without the batch dimension), if any. */
  inputShape: number[] | null;
  denseLayers: DenseLayerTopology[];
}

/** Layer classes that compute the identity at inference time. */
const INFERENCE_IDENTITY_LAYERS = new Set(['AlphaDropout', 'GaussianDropout', 'GaussianNoise']);

/** Keras / TF.js activation identifiers we can represent, to ours. */
const KERAS_ACTIVATIONS: Record<string, Activation> = {
  linear: 'linear',
  sigmoid: 'sigmoid',
  tanh: 'tanh',
  relu: 'relu',
  softplus: 'softplus',
  softmax: 'softmax',
  elu: 'elu',
  selu: 'selu',
  gelu: 'gelu',
  gelu_new: 'geluTanh',
  swish: 'silu',
  silu: 'silu',
  leaky_relu: 'leakyRelu',
};

/** Keras 3's leaky_relu function's default negative slope. */
const KERAS_LEAKY_RELU_FUNCTION_ALPHA = 0.2;

interface KerasLayer {
  className: string;
  name: string;
  config: Record<string, unknown>;
  /** The raw entry, for inbound_nodes in functional models. */
  raw: Record<string, unknown>;
}

// --- public entry point -----------------------------------------------------------------

export function readDenseChain(modelTopology: unknown, context: string): DenseChainTopology {
  const model = unwrapModelConfig(modelTopology, context);
  const layers = orderedLayers(model, context);

  let inputShape: number[] | null = null;
  /** Per-example shape flowing through the chain, when known. */
  let currentShape: number[] | null = null;
  const denseLayers: DenseLayerTopology[] = [];

  layers.forEach((layer, index) => {
    // Only the first layer's declaration matters; later ones (Keras 3 build_config) repeat
    // what the chain already implies.
    const declared = index === 0 ? declaredInputShape(layer, context) : null;
    if (declared !== null) inputShape = currentShape = declared;

    switch (layer.className) {
      case 'InputLayer':
        if (index !== 0) throw new Error(`${context}: InputLayer '${layer.name}' must be the first layer`);
        if (declared === null)
          throw new Error(`${context}: InputLayer '${layer.name}' has no batch_input_shape / batch_shape`);
        return;
      case 'Dense': {
        if (currentShape !== null && currentShape.length !== 1) {
          throw new Error(
            `${context}: Dense layer '${layer.name}' receives per-example shape [${currentShape.join(', ')}]; ` +
              `only 1-D features are supported (add a Flatten before it)`,
          );
        }
        const dense = readDense(layer, context);
        denseLayers.push(dense);
        currentShape = [dense.units];
        return;
      }
      case 'Activation':
      case 'LeakyReLU':
      case 'ELU': {
        const activation =
          layer.className === 'Activation'
            ? readActivation(layer.config.activation, layer, context)
            : layer.className === 'LeakyReLU'
              ? 'leakyRelu'
              : 'elu';
        if (activation === 'linear') return;
        const previous = denseLayers[denseLayers.length - 1];
        if (previous === undefined || previous.activation !== 'linear' || previous.dropout !== undefined) {
          throw new Error(
            `${context}: ${layer.className} layer '${layer.name}' (${activation}) must directly follow a Dense layer ` +
              `with a linear activation (or its BatchNormalization) to be representable`,
          );
        }
        previous.activation = activation;
        if (layer.className === 'LeakyReLU')
          previous.alpha = readAlpha(layer, layer.config.alpha ?? layer.config.negative_slope, 0.3, context);
        else if (layer.className === 'ELU') previous.alpha = readAlpha(layer, layer.config.alpha, 1, context);
        else if (activation === 'leakyRelu') previous.alpha = KERAS_LEAKY_RELU_FUNCTION_ALPHA;
        return;
      }
      case 'BatchNormalization': {
        const previous = denseLayers[denseLayers.length - 1];
        if (
          previous === undefined ||
          previous.activation !== 'linear' ||
          previous.batchNorm !== undefined ||
          previous.dropout !== undefined
        ) {
          throw new Error(
            `${context}: BatchNormalization layer '${layer.name}' must directly follow a Dense layer with a linear ` +
              `activation: simdnet normalises x·W + b before the activation`,
          );
        }
        previous.batchNorm = readBatchNorm(layer, context);
        return;
      }
      case 'Dropout': {
        const previous = denseLayers[denseLayers.length - 1];
        const rate = layer.config.rate;
        if (typeof rate !== 'number' || !(rate >= 0 && rate < 1))
          throw new Error(
            `${context}: Dropout layer '${layer.name}' has rate ${JSON.stringify(rate)}; expected [0, 1)`,
          );
        if (previous !== undefined && rate > 0) previous.dropout = rate;
        return;
      }
      case 'Flatten':
        if (currentShape !== null) currentShape = [currentShape.reduce((a, b) => a * b, 1)];
        return;
      default:
        if (INFERENCE_IDENTITY_LAYERS.has(layer.className)) return;
        throw new Error(
          `${context}: unsupported layer ${layer.className} '${layer.name}'; only InputLayer, Dense, Activation, ` +
            `LeakyReLU, ELU, BatchNormalization, Flatten and dropout/noise layers can be read`,
        );
    }
  });

  if (denseLayers.length === 0) throw new Error(`${context}: the model has no Dense layer`);
  return { inputShape, denseLayers };
}

// --- model forms ------------------------------------------------------------------------

function unwrapModelConfig(modelTopology: unknown, context: string): Record<string, unknown> {
  if (!isRecord(modelTopology)) throw new Error(`${context}: modelTopology must be an object`);
  const model = isRecord(modelTopology.model_config) ? modelTopology.model_config : modelTopology;
  if (typeof model.class_name !== 'string') throw new Error(`${context}: modelTopology has no class_name`);
  return model;
}

function orderedLayers(model: Record<string, unknown>, context: string): KerasLayer[] {
  const className = model.class_name as string;
  const config = model.config;
  const rawLayers = Array.isArray(config) ? config : isRecord(config) ? config.layers : undefined;
  if (!Array.isArray(rawLayers)) throw new Error(`${context}: ${className} model config has no layer list`);
  const layers = rawLayers.map((raw, index) => toKerasLayer(raw, index, context));

  if (className === 'Sequential') return layers;
  if (className === 'Model' || className === 'Functional')
    return functionalChain(config as Record<string, unknown>, layers, context);
  throw new Error(`${context}: unsupported model class '${className}' (expected Sequential, Model or Functional)`);
}

function toKerasLayer(raw: unknown, index: number, context: string): KerasLayer {
  if (!isRecord(raw) || typeof raw.class_name !== 'string' || !isRecord(raw.config)) {
    throw new Error(`${context}: layer ${index} has no class_name / config`);
  }
  const name =
    typeof raw.config.name === 'string' ? raw.config.name : typeof raw.name === 'string' ? raw.name : `#${index}`;
  return { className: raw.class_name, name, config: raw.config, raw };
}

/**
 * Orders a functional model's layers from its input to its output, requiring a single
 * chain: one input, one output, every layer called once on exactly one tensor, and no
 * layer off the path.
 */
function functionalChain(config: Record<string, unknown>, layers: KerasLayer[], context: string): KerasLayer[] {
  const inputNames = tensorReferenceNames(config.input_layers);
  const outputNames = tensorReferenceNames(config.output_layers);
  if (inputNames.length !== 1 || outputNames.length !== 1) {
    throw new Error(
      `${context}: the functional model has ${inputNames.length} inputs and ${outputNames.length} outputs; ` +
        `only single-input, single-output chains are supported`,
    );
  }
  const byName = new Map(layers.map((layer) => [layer.name, layer]));
  const chain: KerasLayer[] = [];
  const visited = new Set<string>();
  let currentName = outputNames[0];
  for (;;) {
    const layer = byName.get(currentName);
    if (layer === undefined)
      throw new Error(`${context}: the functional model refers to a missing layer '${currentName}'`);
    if (visited.has(currentName)) throw new Error(`${context}: the functional model has a cycle at '${currentName}'`);
    visited.add(currentName);
    chain.unshift(layer);
    if (currentName === inputNames[0]) break;
    const callers = inboundLayerNames(layer.raw.inbound_nodes);
    if (callers.length !== 1 || callers[0].length !== 1) {
      throw new Error(
        `${context}: ${layer.className} layer '${layer.name}' is not a single call on one tensor ` +
          `(${callers.length} calls); only chains of layers are supported`,
      );
    }
    currentName = callers[0][0];
  }
  if (chain.length !== layers.length) {
    const offPath = layers.filter((layer) => !visited.has(layer.name)).map((layer) => `'${layer.name}'`);
    throw new Error(`${context}: layers ${offPath.join(', ')} are not on the path from input to output`);
  }
  return chain;
}

/** input_layers / output_layers: [[name, 0, 0], ...] or, in Keras 3 with one tensor, [name, 0, 0]. */
function tensorReferenceNames(references: unknown): string[] {
  if (!Array.isArray(references)) return [];
  if (typeof references[0] === 'string') return [references[0]];
  return references.filter(Array.isArray).map((reference) => String(reference[0]));
}

/** For each call (inbound node) of a layer, the names of the layers whose outputs it takes. */
function inboundLayerNames(inboundNodes: unknown): string[][] {
  if (!Array.isArray(inboundNodes)) return [];
  return inboundNodes.map((node) => {
    if (Array.isArray(node)) {
      // Keras 2 / TF.js: [[layerName, nodeIndex, tensorIndex, kwargs], ...]
      return node.filter(Array.isArray).map((reference) => String(reference[0]));
    }
    // Keras 3: { args: [...], kwargs: {...} } with __keras_tensor__ entries anywhere inside.
    const names: string[] = [];
    collectKerasTensorHistories(node, names);
    return names;
  });
}

function collectKerasTensorHistories(value: unknown, names: string[]): void {
  if (Array.isArray(value)) {
    for (const item of value) collectKerasTensorHistories(item, names);
  } else if (isRecord(value)) {
    if (
      value.class_name === '__keras_tensor__' &&
      isRecord(value.config) &&
      Array.isArray(value.config.keras_history)
    ) {
      names.push(String(value.config.keras_history[0]));
      return;
    }
    for (const item of Object.values(value)) collectKerasTensorHistories(item, names);
  }
}

// --- layer configs ----------------------------------------------------------------------

function readAlpha(layer: KerasLayer, value: unknown, fallback: number, context: string): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new Error(`${context}: ${layer.className} layer '${layer.name}' has alpha ${JSON.stringify(value)}`);
  return value;
}

function readBatchNorm(layer: KerasLayer, context: string): BatchNormTopology {
  const { axis = -1, epsilon = 1e-3, momentum = 0.99, center = true, scale = true } = layer.config;
  const where = `${context}: BatchNormalization layer '${layer.name}'`;
  const axes = Array.isArray(axis) ? axis : [axis];
  if (axes.length !== 1 || (axes[0] !== -1 && axes[0] !== 1))
    throw new Error(`${where} normalises axis ${JSON.stringify(axis)}; only the feature axis (-1 or 1) is supported`);
  if (typeof epsilon !== 'number' || !(epsilon > 0)) throw new Error(`${where} has epsilon ${JSON.stringify(epsilon)}`);
  if (typeof momentum !== 'number' || !(momentum >= 0 && momentum < 1))
    throw new Error(`${where} has momentum ${JSON.stringify(momentum)}; expected [0, 1)`);
  if (typeof center !== 'boolean' || typeof scale !== 'boolean')
    throw new Error(`${where} has a non-boolean center or scale`);
  // 1 - 0.99 is 0.010000000000000009 in binary: rounded to 12 digits, PyTorch's 0.01.
  return { name: layer.name, epsilon, momentum: Number((1 - momentum).toPrecision(12)), center, scale };
}

function readDense(layer: KerasLayer, context: string): DenseLayerTopology {
  const units = layer.config.units;
  if (typeof units !== 'number' || !Number.isInteger(units) || units <= 0) {
    throw new Error(`${context}: Dense layer '${layer.name}' has invalid units ${JSON.stringify(units)}`);
  }
  const useBias = layer.config.use_bias ?? true;
  if (typeof useBias !== 'boolean')
    throw new Error(`${context}: Dense layer '${layer.name}' has a non-boolean use_bias`);
  const activation = readActivation(layer.config.activation, layer, context);
  return {
    name: layer.name,
    units,
    activation,
    useBias,
    ...(activation === 'leakyRelu' ? { alpha: KERAS_LEAKY_RELU_FUNCTION_ALPHA } : {}),
  };
}

/**
 * 'relu' (Keras 2, TF.js), or Keras 3's serialized function
 * { class_name: 'function', config: 'relu' }; null or absent means linear.
 */
function readActivation(value: unknown, layer: KerasLayer, context: string): Activation {
  if (value === null || value === undefined) return 'linear';
  const identifier =
    typeof value === 'string' ? value : isRecord(value) && typeof value.config === 'string' ? value.config : null;
  const activation = identifier === null ? undefined : KERAS_ACTIVATIONS[identifier.toLowerCase()];
  if (activation === undefined) {
    throw new Error(
      `${context}: ${layer.className} layer '${layer.name}' has unsupported activation ${JSON.stringify(value)} ` +
        `(supported: ${Object.keys(KERAS_ACTIVATIONS).join(', ')})`,
    );
  }
  return activation;
}

/** The per-example input shape a layer declares, without the batch dimension, or null. */
function declaredInputShape(layer: KerasLayer, context: string): number[] | null {
  const { config } = layer;
  const buildConfig = isRecord(layer.raw.build_config) ? layer.raw.build_config : {};
  let shape: unknown = null;
  if (Array.isArray(config.batch_input_shape)) shape = config.batch_input_shape.slice(1);
  else if (Array.isArray(config.batch_shape)) shape = config.batch_shape.slice(1);
  else if (Array.isArray(config.input_shape)) shape = config.input_shape;
  else if (Array.isArray(buildConfig.input_shape)) shape = buildConfig.input_shape.slice(1);
  if (shape === null) return null;
  const dims = shape as unknown[];
  if (dims.length === 0 || !dims.every((d) => typeof d === 'number' && Number.isInteger(d) && d > 0)) {
    throw new Error(
      `${context}: ${layer.className} layer '${layer.name}' declares input shape ${JSON.stringify(shape)}; ` +
        `every dimension but the batch must be a known positive integer`,
    );
  }
  return dims as number[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
