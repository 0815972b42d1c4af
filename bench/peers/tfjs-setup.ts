/**
 * TensorFlow.js set-up shared by the tfjs runner (bench/peers/tfjs.ts) and the paired
 * comparisons (bench/paired.ts): the backend, and the reference MLP as a tf.sequential.
 */
import * as tf from '@tensorflow/tfjs';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * Selects the backend. wasm: its .wasm files from node_modules, one thread (tfjs 4.22 never
 * uses wasm threads under Node anyway). Returns the thread count and, for wasm, the binary.
 */
export async function useTfjsBackend(backend: 'wasm' | 'cpu'): Promise<{ threads: number; wasmBinary: string }> {
  if (backend === 'wasm') {
    const require = createRequire(import.meta.url);
    const wasmDir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
    tfwasm.setWasmPaths(wasmDir + path.sep);
    tfwasm.setThreadsCount(1);
  }
  if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend('${backend}') failed`);
  await tf.ready();
  if (backend !== 'wasm') return { threads: 1, wasmBinary: '' };
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const multithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  const wasmBinary =
    multithread && simd
      ? 'tfjs-backend-wasm-threaded-simd.wasm'
      : simd
        ? 'tfjs-backend-wasm-simd.wasm'
        : 'tfjs-backend-wasm.wasm';
  return { threads: tfwasm.getThreadsCount(), wasmBinary };
}

/** The reference MLP inputs-hidden(relu)...-classes(softmax); hidden [128, 64] by default. */
export function referenceModel(inputs: number, classes: number, hidden: number[] = [128, 64]): tf.Sequential {
  return tf.sequential({
    layers: [
      ...hidden.map((units, i) =>
        tf.layers.dense({ ...(i === 0 ? { inputShape: [inputs] } : {}), units, activation: 'relu' }),
      ),
      tf.layers.dense({ units: classes, activation: 'softmax' }),
    ],
  });
}
