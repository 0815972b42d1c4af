/** Model files on disk (Node, Deno, Bun). */
import { readFile, writeFile } from 'node:fs/promises';
import type { Model } from '../model/model.js';
import { loadModel, saveModel } from '../model/persist.js';
import type { SaveOptions } from './format.js';

/**
 * Writes the model to `path` as a simdnet model file (the bytes of {@link Model.save}).
 *
 * @param model - The model to save.
 * @param path - The file to create or overwrite.
 * @param options - See {@link SaveOptions}.
 * @throws Error on an unknown option key, or the file system's error.
 *
 * @example
 * ```ts
 * import { saveModelFile, loadModelFile } from 'simdnet/node';
 * await saveModelFile(model, 'model.sdnt');
 * const again = await loadModelFile('model.sdnt');
 * ```
 */
export async function saveModelFile(model: Model, path: string, options?: SaveOptions): Promise<void> {
  await writeFile(path, saveModel(model, options));
}

/**
 * Reads a simdnet model file from `path` ({@link loadModel} on its bytes).
 *
 * @param path - A file written by {@link saveModelFile} or `model.save()`.
 * @returns The model, with its weights, training state, metadata and (if saved) optimizer state.
 * @throws Error naming the path when the file cannot be read, or naming the part of the file that is corrupt.
 */
export async function loadModelFile(path: string): Promise<Model> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (cause) {
    throw new Error(
      `simdnet: cannot read model file ${path}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`,
      { cause },
    );
  }
  try {
    return await loadModel(bytes);
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`, { cause: error });
  }
}
