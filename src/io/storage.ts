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
import type { Model, SaveOptions } from '../index.js';
import type { WorkerModel } from '../worker/worker-model.js';
import { loadModel as loadModelBytes } from './format.js';
import {
  assertIndexedDb,
  deleteModel,
  getModel,
  listStoredModels,
  putModel,
  type StoredModelInfo,
} from './indexeddb.js';

export type { StoredModelInfo } from './indexeddb.js';

/** What loadModel() reads a model from. */
export type ModelSource = Uint8Array | ArrayBuffer | Blob | Response | URL | string;

/** The URL schemes saveModel() writes to. */
const SAVE_SCHEMES = ['indexeddb', 'downloads'];

/** A model URL's scheme and name; undefined for a string that has no scheme. */
function parseModelUrl(url: string): { scheme: string; name: string } | undefined {
  const match = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(url);
  return match ? { scheme: match[1].toLowerCase(), name: match[2] } : undefined;
}

function needName(scheme: string, name: string): string {
  if (name.trim() === '') throw new Error(`simdnet: ${scheme}:// needs a model name, e.g. ${scheme}://my-model`);
  return name;
}

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

/** The bytes of a model file, from any ModelSource. */
export async function modelBytes(source: ModelSource): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (typeof Blob !== 'undefined' && source instanceof Blob) return new Uint8Array(await source.arrayBuffer());
  if (typeof Response !== 'undefined' && source instanceof Response) {
    if (!source.ok) throw new Error(`simdnet: could not load the model from ${source.url}: HTTP ${source.status}`);
    return new Uint8Array(await source.arrayBuffer());
  }
  if (typeof source !== 'string' && !(source instanceof URL))
    throw new Error(
      'simdnet: loadModel takes a Uint8Array, ArrayBuffer, File, Blob, Response, URL, or a string URL (indexeddb://name, https://...)',
    );
  const text = String(source);
  const parsed = parseModelUrl(text);
  if (parsed?.scheme === 'indexeddb') return getModel(needName('indexeddb', parsed.name));
  if (parsed?.scheme === 'downloads')
    throw new Error(
      'simdnet: loadModel cannot read downloads://: pass the downloaded File (from an <input type="file">) instead',
    );
  if (parsed?.scheme === 'file') return readFileUrl(new URL(text));
  const base = (globalThis as { location?: { href: string } }).location?.href;
  if (!parsed && base === undefined)
    throw new Error(
      `simdnet: '${text}' is not a URL; loadModel takes indexeddb://name, an http(s) or file: URL, or bytes (loadModelFile(path) reads a file in Node)`,
    );
  let response: Response;
  try {
    response = await fetch(new URL(text, base));
  } catch (error) {
    throw new Error(`simdnet: could not fetch the model from ${text}: ${(error as Error).message}`);
  }
  return modelBytes(response);
}

/** file: URLs, where fetch cannot read them (Node, Bun): read from disk. */
async function readFileUrl(url: URL): Promise<Uint8Array> {
  const getBuiltin = (globalThis as { process?: { getBuiltinModule?: (name: string) => unknown } }).process
    ?.getBuiltinModule;
  const fs = getBuiltin?.('node:fs/promises') as typeof import('node:fs/promises') | undefined;
  if (!fs) return modelBytes(await fetch(url));
  try {
    return new Uint8Array(await fs.readFile(url));
  } catch (error) {
    throw new Error(`simdnet: cannot read model file ${url.href}: ${(error as Error).message}`);
  }
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
