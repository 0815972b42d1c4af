/**
 * fromTfjsLayers on model.json variants written by the Python side: the tensorflowjs
 * converter's Keras 2 output (model_config wrapper, InputLayer with batch_input_shape),
 * Keras 3 configs (module/registered_name fields, DTypePolicy dtypes, batch_shape,
 * build_config, 'Functional' with __keras_tensor__ inbound nodes and flat input_layers),
 * the pre-2.2.3 Sequential whose config is the layer list, and scoped / ':0' weight names.
 *
 * The fixtures are written by hand in those layouts (no Python here); their weights are
 * the bytes of toTfjsLayers(desc), so every import must give back `desc` exactly.
 */

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromTfjsLayers, toTfjsLayers, type TfjsLayersModelJson } from '../../src/io/tfjs-layers.js';
import type { ModelDescription } from '../../src/model/description.js';
import {
  maxAbsDifference,
  randomDescription,
  randomFloats,
  referenceForward,
  seededRandom,
} from './reference-model.js';
import { predict, useCpuBackend } from './tfjs-helpers.js';

beforeAll(useCpuBackend);

const desc = randomDescription(131, 3, [
  { units: 5, activation: 'relu' },
  { units: 4, activation: 'tanh' },
  { units: 2, activation: 'softmax' },
]);
const weightsBin = toTfjsLayers(desc).weightsBin;
const kerasNames = ['dense', 'dense_1', 'dense_2'];

/** The manifest for `desc` with Keras layer names, optionally scoped or suffixed. */
function manifest(nameOf: (layer: string, kind: string) => string = (layer, kind) => `${layer}/${kind}`) {
  let inputs = desc.inputSize;
  const weights = desc.layers.flatMap((layer, index) => {
    const entries = [
      { name: nameOf(kerasNames[index], 'kernel'), shape: [inputs, layer.units], dtype: 'float32' },
      { name: nameOf(kerasNames[index], 'bias'), shape: [layer.units], dtype: 'float32' },
    ];
    inputs = layer.units;
    return entries;
  });
  return [{ paths: ['group1-shard1of1.bin'], weights }];
}

function converterModelJson(
  modelConfig: object,
  generatedBy: string,
  nameOf?: (layer: string, kind: string) => string,
): TfjsLayersModelJson {
  return {
    format: 'layers-model',
    generatedBy,
    convertedBy: 'TensorFlow.js Converter v4.22.0',
    modelTopology: {
      keras_version: generatedBy.replace('keras v', ''),
      backend: 'tensorflow',
      model_config: modelConfig,
    },
    weightsManifest: manifest(nameOf),
  };
}

// --- Keras 2 ----------------------------------------------------------------------------

function keras2Dense(index: number) {
  return {
    class_name: 'Dense',
    config: {
      name: kerasNames[index],
      trainable: true,
      dtype: 'float32',
      units: desc.layers[index].units,
      activation: desc.layers[index].activation,
      use_bias: true,
      kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } },
      bias_initializer: { class_name: 'Zeros', config: {} },
      kernel_regularizer: null,
      bias_regularizer: null,
      activity_regularizer: null,
      kernel_constraint: null,
      bias_constraint: null,
    },
  };
}

const keras2InputLayer = {
  class_name: 'InputLayer',
  config: { batch_input_shape: [null, 3], dtype: 'float32', sparse: false, ragged: false, name: 'dense_input' },
};

const keras2Sequential = {
  class_name: 'Sequential',
  config: { name: 'sequential', layers: [keras2InputLayer, keras2Dense(0), keras2Dense(1), keras2Dense(2)] },
};

// --- Keras 3 ----------------------------------------------------------------------------

const keras3Dtype = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };

function keras3Dense(index: number, inputs: number) {
  const activation = desc.layers[index].activation;
  return {
    module: 'keras.layers',
    class_name: 'Dense',
    config: {
      name: kerasNames[index],
      trainable: true,
      dtype: keras3Dtype,
      units: desc.layers[index].units,
      // Keras 3 may serialize an activation as a function reference; use that form once.
      activation:
        index === 1
          ? { module: 'keras.activations', class_name: 'function', config: activation, registered_name: 'function' }
          : activation,
      use_bias: true,
      kernel_initializer: {
        module: 'keras.initializers',
        class_name: 'GlorotUniform',
        config: { seed: null },
        registered_name: null,
      },
      bias_initializer: { module: 'keras.initializers', class_name: 'Zeros', config: {}, registered_name: null },
      kernel_regularizer: null,
      bias_regularizer: null,
      kernel_constraint: null,
      bias_constraint: null,
    },
    registered_name: null,
    build_config: { input_shape: [null, inputs] },
  };
}

const keras3InputLayer = {
  module: 'keras.layers',
  class_name: 'InputLayer',
  config: { batch_shape: [null, 3], dtype: 'float32', sparse: false, ragged: false, name: 'input_layer' },
  registered_name: null,
};

const keras3Sequential = {
  module: 'keras',
  class_name: 'Sequential',
  config: {
    name: 'sequential',
    trainable: true,
    dtype: keras3Dtype,
    layers: [keras3InputLayer, keras3Dense(0, 3), keras3Dense(1, 5), keras3Dense(2, 4)],
    build_input_shape: [null, 3],
  },
  registered_name: null,
  build_config: { input_shape: [null, 3] },
};

function keras3Tensor(layer: string, shape: number[]) {
  return {
    class_name: '__keras_tensor__',
    config: { shape: [null, ...shape], dtype: 'float32', keras_history: [layer, 0, 0] },
  };
}

const keras3Functional = {
  module: 'keras.src.models.functional',
  class_name: 'Functional',
  config: {
    name: 'functional',
    trainable: true,
    layers: [
      { ...keras3InputLayer, name: 'input_layer', inbound_nodes: [] },
      {
        ...keras3Dense(0, 3),
        name: 'dense',
        inbound_nodes: [{ args: [keras3Tensor('input_layer', [3])], kwargs: {} }],
      },
      { ...keras3Dense(1, 5), name: 'dense_1', inbound_nodes: [{ args: [keras3Tensor('dense', [5])], kwargs: {} }] },
      { ...keras3Dense(2, 4), name: 'dense_2', inbound_nodes: [{ args: [keras3Tensor('dense_1', [4])], kwargs: {} }] },
    ],
    input_layers: ['input_layer', 0, 0],
    output_layers: ['dense_2', 0, 0],
  },
  registered_name: 'Functional',
};

// --- tests ------------------------------------------------------------------------------

describe('fromTfjsLayers on Keras-written model.json files', () => {
  it('Keras 2 Sequential from the converter (model_config wrapper, InputLayer)', async () => {
    const json = converterModelJson(keras2Sequential, 'keras v2.15.0');
    expect(fromTfjsLayers(json, weightsBin)).toEqual(desc);
    // tfjs itself loads this layout: its predictions agree with ours.
    const model = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology as object,
        weightSpecs: json.weightsManifest![0].weights as tf.io.WeightsManifestEntry[],
        weightData: weightsBin.slice().buffer,
      }),
    );
    const input = randomFloats(seededRandom(3), 7 * 3);
    expect(maxAbsDifference(predict(model, input, [7, 3]), referenceForward(desc, input, 7))).toBeLessThan(1e-5);
    model.dispose();
  });

  it('Keras 2 functional model with [[[name, 0, 0, {}]]] inbound nodes', () => {
    const layers = [
      { name: 'dense_input', ...keras2InputLayer, inbound_nodes: [] },
      { name: 'dense', ...keras2Dense(0), inbound_nodes: [[['dense_input', 0, 0, {}]]] },
      { name: 'dense_1', ...keras2Dense(1), inbound_nodes: [[['dense', 0, 0, {}]]] },
      { name: 'dense_2', ...keras2Dense(2), inbound_nodes: [[['dense_1', 0, 0, {}]]] },
    ];
    const functional = {
      class_name: 'Functional',
      config: { name: 'model', layers, input_layers: [['dense_input', 0, 0]], output_layers: [['dense_2', 0, 0]] },
    };
    expect(fromTfjsLayers(converterModelJson(functional, 'keras v2.15.0'), weightsBin)).toEqual(desc);
  });

  it('pre-2.2.3 Sequential whose config is the layer list, input shape on the first Dense', () => {
    const first = keras2Dense(0);
    const old = {
      class_name: 'Sequential',
      config: [{ ...first, config: { ...first.config, batch_input_shape: [null, 3] } }, keras2Dense(1), keras2Dense(2)],
    };
    expect(fromTfjsLayers(converterModelJson(old, 'keras v2.1.6'), weightsBin)).toEqual(desc);
  });

  it('Keras 3 Sequential (batch_shape, DTypePolicy, build_config, function activations)', () => {
    expect(fromTfjsLayers(converterModelJson(keras3Sequential, 'keras v3.13.2'), weightsBin)).toEqual(desc);
  });

  it('Keras 3 Functional (__keras_tensor__ inbound nodes, flat input_layers)', () => {
    expect(fromTfjsLayers(converterModelJson(keras3Functional, 'keras v3.13.2'), weightsBin)).toEqual(desc);
  });

  it('scoped weight names and TensorFlow ":0" suffixes', () => {
    const scoped = converterModelJson(
      keras3Sequential,
      'keras v3.13.2',
      (layer, kind) => `sequential/${layer}/${kind}:0`,
    );
    expect(fromTfjsLayers(scoped, weightsBin)).toEqual(desc);
  });

  it('no declared input shape: the first kernel gives the input size', () => {
    const bare: ModelDescription = fromTfjsLayers(
      converterModelJson(
        { class_name: 'Sequential', config: { name: 's', layers: [keras2Dense(0), keras2Dense(1), keras2Dense(2)] } },
        'keras v2.15.0',
      ),
      weightsBin,
    );
    expect(bare).toEqual(desc);
  });

  it('ambiguous scoped names are an error listing the candidates', () => {
    const json = converterModelJson(keras3Sequential, 'keras v3.13.2');
    const weights = json.weightsManifest![0].weights;
    weights[0].name = 'a/dense/kernel';
    weights.push({ name: 'b/dense/kernel', shape: [1], dtype: 'float32' });
    const longer = new Uint8Array(weightsBin.byteLength + 4);
    longer.set(weightsBin);
    expect(() => fromTfjsLayers(json, longer)).toThrow(
      /several weights match 'dense\/kernel': a\/dense\/kernel, b\/dense\/kernel/,
    );
  });

  it('an unknown model class or a nested model is an error naming it', () => {
    expect(() =>
      fromTfjsLayers(converterModelJson({ class_name: 'Graph', config: { layers: [] } }, 'keras v2.15.0'), weightsBin),
    ).toThrow(/unsupported model class 'Graph'/);
    const nested = {
      class_name: 'Sequential',
      config: {
        name: 'outer',
        layers: [{ ...keras2Sequential, config: { ...keras2Sequential.config, name: 'inner' } }],
      },
    };
    expect(() => fromTfjsLayers(converterModelJson(nested, 'keras v2.15.0'), weightsBin)).toThrow(
      /unsupported layer Sequential 'inner'/,
    );
  });
});
