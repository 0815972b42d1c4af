/**
 * A model file's bytes from wherever a user has it: bytes, a File or Blob, a fetched
 * Response, an http(s) or file: URL, or IndexedDB (indexeddb://name). Shared by loadModel
 * (storage.ts) and the Worker model, which reads the bytes before handing them over.
 */
import { getModel } from './indexeddb.js';

/** What loadModel() reads a model from. */
export type ModelSource = Uint8Array | ArrayBuffer | Blob | Response | URL | string;

/** A model URL's scheme and name; undefined for a string that has no scheme. */
export function parseModelUrl(url: string): { scheme: string; name: string } | undefined {
  const match = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(url);
  return match ? { scheme: match[1].toLowerCase(), name: match[2] } : undefined;
}

/** A model URL's name, or an error naming the scheme that needs one. */
export function needName(scheme: string, name: string): string {
  if (name.trim() === '') throw new Error(`simdnet: ${scheme}:// needs a model name, e.g. ${scheme}://my-model`);
  return name;
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
