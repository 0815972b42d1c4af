/**
 * Saving and loading models where users keep them: bytes, IndexedDB, a file
 * download, a File or Blob, a fetched URL. A wrapper around the byte-level
 * format (format.ts), for Model and WorkerModel alike.
 *
 *   saveModel(model)                        the model file's bytes (a WorkerModel's: a promise)
 *   saveModel(model, 'indexeddb://name')    kept in this origin's IndexedDB
 *   saveModel(model, 'downloads://name')    offered as a file download, name.sdnt (browsers)
 *   loadModel(source)                       bytes, ArrayBuffer, File, Blob, Response, URL,
 *                                           'indexeddb://name', or a URL string (fetched)
 *   listModels(), removeModel(url)          what IndexedDB holds (name, bytes, date saved)
 */
import type { SaveOptions } from '../io/format.js';
import type { Model } from '../model/model.js';
import type { WorkerModel } from '../worker/worker-model.js';
import { loadModel as loadModelBytes } from '../model/persist.js';
import { assertIndexedDb, deleteModel, listStoredModels, putModel, type StoredModelInfo } from './indexeddb.js';

export type { StoredModelInfo } from './indexeddb.js';
export type { ModelSource } from './model-source.js';
import { modelBytes, needName, parseModelUrl, type ModelSource } from './model-source.js';

/** The URL schemes saveModel() writes to. */
const SAVE_SCHEMES = ['indexeddb', 'downloads'];

/** The model's file bytes (a Model's save(), or a WorkerModel's, awaited). */
async function bytesOf(model: Model | WorkerModel, options?: SaveOptions): Promise<Uint8Array> {
  return model.save(options);
}

/** The model as a simdnet model file (Model.save()). */
export function saveModel(model: Model, options?: SaveOptions): Uint8Array;
/** The model in a Worker as a simdnet model file. */
export function saveModel(model: WorkerModel, options?: SaveOptions): Promise<Uint8Array>;
/**
 * Saves the model to `url`: 'indexeddb://name' keeps it in this origin's IndexedDB
 * (replacing a model of that name), 'downloads://name' offers it as a file download
 * (name.sdnt unless the name has an extension). Resolves with what was saved.
 */
export function saveModel(model: Model | WorkerModel, url: string, options?: SaveOptions): Promise<StoredModelInfo>;
export function saveModel(
  model: Model | WorkerModel,
  urlOrOptions?: string | SaveOptions,
  options?: SaveOptions,
): Uint8Array | Promise<Uint8Array> | Promise<StoredModelInfo> {
  if (typeof urlOrOptions !== 'string') return model.save(urlOrOptions);
  return saveTo(model, urlOrOptions, options);
}

async function saveTo(model: Model | WorkerModel, url: string, options?: SaveOptions): Promise<StoredModelInfo> {
  const parsed = parseModelUrl(url);
  if (!parsed || !SAVE_SCHEMES.includes(parsed.scheme))
    throw new Error(
      `simdnet: saveModel cannot save to '${url}': use 'indexeddb://name' or 'downloads://name' (or saveModel(model) for the bytes)`,
    );
  const name = needName(parsed.scheme, parsed.name);
  if (parsed.scheme === 'indexeddb') {
    // Checked before the model is serialised: no work for a runtime without IndexedDB.
    assertIndexedDb();
    return putModel(name, await bytesOf(model, options));
  }
  if (typeof document === 'undefined')
    throw new Error('simdnet: downloads:// needs a browser page (a document to start the download from)');
  const bytes = await bytesOf(model, options);
  const fileName = name.includes('.') ? name : `${name}.sdnt`;
  const href = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
  const link = document.createElement('a');
  link.href = href;
  link.download = fileName;
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  // The browser has read the URL once the click's download started; revoke it a little later.
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
  return { url, name: fileName, bytes: bytes.byteLength, dateSaved: new Date() };
}

/**
 * A saved model, ready to predict or train on: from its bytes, a File or Blob, a
 * Response, a URL (fetched), or 'indexeddb://name'. Every problem with the file is an
 * Error naming it (see format.ts).
 */
export async function loadModel(source: ModelSource): Promise<Model> {
  return loadModelBytes(await modelBytes(source));
}

/** The models kept in IndexedDB (name, size, date saved), oldest first. */
export function listModels(): Promise<StoredModelInfo[]> {
  return listStoredModels();
}

/** Deletes 'indexeddb://name' from IndexedDB; an error when no model has that name. */
export async function removeModel(url: string): Promise<void> {
  const parsed = parseModelUrl(url);
  if (parsed?.scheme !== 'indexeddb') throw new Error(`simdnet: removeModel takes 'indexeddb://name', got '${url}'`);
  return deleteModel(needName('indexeddb', parsed.name));
}
