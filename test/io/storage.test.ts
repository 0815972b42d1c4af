/**
 * saveModel / loadModel beyond bytes, in Node: every source loadModel takes
 * (bytes, ArrayBuffer, Blob, File, Response, http and file: URLs), Model and
 * WorkerModel alike, and a clear error for each thing that cannot work here
 * (IndexedDB and downloads are for browsers: test/runtimes/chromium-storage.test.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createModel,
  createWorkerModel,
  listModels,
  loadModel,
  loadWorkerModel,
  removeModel,
  saveModel,
  type Model,
  type ModelSpec,
} from '../../src/index.js';

const SPEC: ModelSpec = {
  inputSize: 3,
  layers: [
    { units: 8, activation: 'tanh' },
    { units: 2, activation: 'softmax' },
  ],
  seed: 5,
};
const INPUTS = new Float32Array([0.1, -0.4, 0.9, 0.3, 0.2, -0.7, -0.5, 0.5, 0.5]);
const bits = (array: Float32Array) => Array.from(new Uint32Array(array.slice().buffer));

const dir = mkdtempSync(join(tmpdir(), 'simdnet-storage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function trained(): Promise<Model> {
  const model = await createModel(SPEC);
  await model.fit({ inputs: INPUTS, labels: [0, 1, 1] }, { epochs: 3, batchSize: 2 });
  return model;
}

describe('saveModel and loadModel (Node)', () => {
  it('saveModel(model) is still the bytes, at once; a WorkerModel gives them as a promise', async () => {
    const model = await trained();
    const bytes = saveModel(model);
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(bytes).toEqual(model.save());
    expect(saveModel(model, { optimizerState: false }).length).toBeLessThan(bytes.length);
    const worker = await loadWorkerModel(bytes);
    try {
      expect(await saveModel(worker)).toEqual(bytes);
    } finally {
      await worker.dispose();
    }
  });

  it('loads from bytes, an ArrayBuffer, a Blob, a File, a Response, a file: URL and an http URL', async () => {
    const model = await trained();
    const bytes = model.save() as Uint8Array<ArrayBuffer>;
    const expected = bits(model.predict(INPUTS));
    const path = join(dir, 'model.sdnt');
    writeFileSync(path, bytes);
    const server = createServer((request, response) => {
      if (request.url === '/model.sdnt') response.writeHead(200).end(bytes);
      else response.writeHead(404).end('not found');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const sources = {
        bytes,
        arrayBuffer: bytes.slice().buffer,
        blob: new Blob([bytes]),
        file: new File([bytes], 'model.sdnt'),
        response: new Response(bytes),
        fileUrl: pathToFileURL(path),
        fileUrlString: pathToFileURL(path).href,
        http: `${base}/model.sdnt`,
        httpUrl: new URL('/model.sdnt', base),
      };
      for (const [name, source] of Object.entries(sources)) {
        const loaded = await loadModel(source);
        expect(bits(loaded.predict(INPUTS)), name).toEqual(expected);
      }
      const worker = await loadWorkerModel(`${base}/model.sdnt`);
      try {
        expect(bits(await worker.predict(INPUTS))).toEqual(expected);
      } finally {
        await worker.dispose();
      }
      await expect(loadModel(`${base}/missing.sdnt`)).rejects.toThrow(/missing\.sdnt: HTTP 404/);
    } finally {
      server.close();
    }
  });

  it('names what is wrong: scheme, missing name, no IndexedDB, no page, not a URL, missing file', async () => {
    const model = await trained();
    await expect(saveModel(model, 'ftp://model')).rejects.toThrow(
      "saveModel cannot save to 'ftp://model': use 'indexeddb://name' or 'downloads://name'",
    );
    await expect(saveModel(model, 'indexeddb://')).rejects.toThrow('indexeddb:// needs a model name');
    await expect(saveModel(model, 'indexeddb://mine')).rejects.toThrow('IndexedDB is not available in this runtime');
    await expect(saveModel(model, 'downloads://mine')).rejects.toThrow('downloads:// needs a browser page');
    await expect(loadModel('indexeddb://mine')).rejects.toThrow('IndexedDB is not available in this runtime');
    await expect(loadModel('downloads://mine')).rejects.toThrow('cannot read downloads://');
    await expect(loadModel('model.sdnt')).rejects.toThrow("'model.sdnt' is not a URL");
    await expect(loadModel(pathToFileURL(join(dir, 'nothing.sdnt')))).rejects.toThrow(/cannot read model file/);
    await expect(loadModel(42 as never)).rejects.toThrow(/loadModel takes a Uint8Array/);
    await expect(loadModel(new Uint8Array([1, 2, 3]))).rejects.toThrow('not a valid simdnet model file');
    await expect(listModels()).rejects.toThrow('IndexedDB is not available');
    await expect(removeModel('mine')).rejects.toThrow("removeModel takes 'indexeddb://name'");
    const worker = await createWorkerModel(SPEC);
    try {
      await expect(saveModel(worker, 'indexeddb://mine')).rejects.toThrow('IndexedDB is not available');
    } finally {
      await worker.dispose();
    }
  });
});
