/** Model files on disk (Node, Deno, Bun). */
import { readFile, writeFile } from 'node:fs/promises';
import type { Model } from '../model/model.js';
import { loadModel, saveModel } from '../model/persist.js';
import type { SaveOptions } from './format.js';

export async function saveModelFile(model: Model, path: string, options?: SaveOptions): Promise<void> {
  await writeFile(path, saveModel(model, options));
}

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
