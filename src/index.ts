/**
 * simdnet: train and run dense neural networks with a WebAssembly SIMD core.
 * The public API, and nothing else.
 */
export {
  init,
  coreInfo,
  relaxedSimdSupported,
  type WasmSource,
  type InitOptions,
  type CoreInfo,
} from './runtime/load.js';
export { createModel, modelFromDescription } from './model/factories.js';
export { Model, type TrainingState, type EvaluateResult, type Threading, type EvaluateOptions } from './model/model.js';
export type { ClassList, ClassValues } from './model/classes.js';
export type { MetricSpec, PerClassMetrics } from './train/metrics.js';
export type { ClassWeight } from './train/weights.js';
export type {
  ModelSpec,
  LayerSpec,
  OptimizerConfig,
  OptimizerType,
  Loss,
  NormalizedOptimizer,
  BatchNormConfig,
  NormalizedLayer,
} from './model/spec.js';
export type { LayerShape } from './model/plan.js';
export type { Initializer } from './model/initialize.js';
export { LOSSES, OPTIMIZERS } from './model/spec.js';
export {
  ACTIVATIONS,
  type Activation,
  type ModelDescription,
  type DenseLayerDescription,
  type BatchNormDescription,
} from './model/description.js';
export type { Dataset, InputArray, LabelArray } from './data/dataset.js';
export type { DatasetLike, DatasetLiteral } from './model/dataset-check.js';
export type {
  FitOptions,
  History,
  EpochLog,
  BatchLog,
  Callbacks,
  CallbackResult,
  EarlyStoppingOptions,
  MetricName,
  StopReason,
  ScheduleConfig,
} from './train/types.js';
export type { AugmentOptions } from './train/augment.js';
export type { SaveOptions } from './io/format.js';
export {
  saveModel,
  loadModel,
  listModels,
  removeModel,
  type ModelSource,
  type StoredModelInfo,
} from './io/storage.js';
export {
  createWorkerModel,
  loadWorkerModel,
  WorkerModel,
  type WorkerModelOptions,
  type WorkerInitOptions,
  type WorkerFitOptions,
  type WorkerDataOptions,
} from './worker/worker-model.js';
export { toOnnx, ONNX_OPSET_VERSION, type OnnxExportOptions } from './io/onnx.js';
export {
  toTfjsLayers,
  fromTfjsLayers,
  type TfjsLayersModelJson,
  type TfjsLayersExportOptions,
  type TfjsLayersExport,
  type TfjsWeightData,
  type TfjsWeightsManifestEntry,
  type TfjsWeightsManifestGroup,
} from './io/tfjs-layers.js';
export {
  toSafetensors,
  fromSafetensors,
  SAFETENSORS_MAX_HEADER_BYTES,
  type SafetensorsSource,
  type SafetensorsWriteOptions,
  type SafetensorsReadOptions,
} from './io/safetensors.js';
export { fromOnnx, type OnnxImportOptions } from './io/onnx-import.js';
export {
  parseIdx,
  parseIdxBytes,
  encodeIdx,
  idxToDataset,
  type IdxArray,
  type IdxArrayTypes,
  type IdxData,
  type IdxDtype,
} from './data/idx.js';
export {
  readCsvDataset,
  CsvError,
  type CsvDataset,
  type CsvDatasetOptions,
  type CsvTask,
  type ByteSource,
} from './data/csv.js';
export {
  fromIterable,
  type DataSource,
  type StreamInput,
  type ItemStream,
  type StreamItem,
  type StreamBatch,
  type StreamRow,
} from './data/source.js';
export {
  csvSource,
  csvStats,
  type CsvInput,
  type CsvBytes,
  type CsvSourceOptions,
  type CsvStats,
} from './data/csv-source.js';
export type { StreamInferenceOptions } from './model/stream-inference.js';
export {
  mnistFromFiles,
  MNIST_FILE_NAMES,
  FASHION_MNIST_CLASS_NAMES,
  type MnistFiles,
  type MnistFileRole,
  type TrainTestDatasets,
} from './data/mnist.js';
export {
  oneHot,
  minMaxScaler,
  standardScaler,
  trainValidationSplit,
  subset,
  type MinMaxScaler,
  type StandardScaler,
  type MinMaxScalerOptions,
  type SplitOptions,
  type TrainValidationSplit,
} from './data/transform.js';
