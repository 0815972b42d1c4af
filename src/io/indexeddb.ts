/**
 * Models kept in the browser's IndexedDB: database "simdnet", two object stores
 * keyed by the model's name, so listing never reads the models themselves:
 *   models   { name, bytes: ArrayBuffer }                  the simdnet model file
 *   info     { name, bytes: number, dateSaved: Date }       what listModels() shows
 * Both are written and deleted in one transaction.
 */

/** A model kept in IndexedDB, as listModels() describes it. */
export interface StoredModelInfo {
  /** The URL that loads it: 'indexeddb://' + name. */
  url: string;
  /** The name it was saved under. */
  name: string;
  /** Size of the saved model file, in bytes. */
  bytes: number;
  /** When it was saved. */
  dateSaved: Date;
}

const DATABASE = 'simdnet';
const VERSION = 1;
const MODELS = 'models';
const INFO = 'info';

function factory(): IDBFactory {
  const found = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!found)
    throw new Error(
      'simdnet: IndexedDB is not available in this runtime (indexeddb:// works in browsers); save the bytes of save() instead, or saveModelFile() in Node',
    );
  return found;
}

/** Throws the 'IndexedDB is not available' error where there is none. */
export function assertIndexedDb(): void {
  factory();
}

const done = <T>(request: IDBRequest<T>): Promise<T> =>
  new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

function open(): Promise<IDBDatabase> {
  const request = factory().open(DATABASE, VERSION);
  request.onupgradeneeded = () => {
    const db = request.result;
    if (!db.objectStoreNames.contains(MODELS)) db.createObjectStore(MODELS, { keyPath: 'name' });
    if (!db.objectStoreNames.contains(INFO)) db.createObjectStore(INFO, { keyPath: 'name' });
  };
  return done(request).catch((error) => {
    throw new Error(`simdnet: could not open IndexedDB: ${(error as Error | null)?.message ?? error}`);
  });
}

/** Runs `work` in one transaction over `stores`; resolves with its result once the transaction completes. */
async function transaction<T>(
  stores: string[],
  mode: IDBTransactionMode,
  work: (tx: IDBTransaction) => Promise<T>,
): Promise<T> {
  const db = await open();
  try {
    const tx = db.transaction(stores, mode);
    const completed = new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error('simdnet: the IndexedDB transaction was aborted'));
    });
    completed.catch(() => {}); // awaited below; if work() throws first, its error is the one reported
    const result = await work(tx);
    await completed;
    return result;
  } finally {
    db.close();
  }
}

const infoOf = (record: Omit<StoredModelInfo, 'url'>): StoredModelInfo => ({
  url: `indexeddb://${record.name}`,
  name: record.name,
  bytes: record.bytes,
  dateSaved: record.dateSaved,
});

const notFound = (name: string) =>
  new Error(`simdnet: no model named '${name}' in IndexedDB (listModels() shows the saved ones)`);

/** Saves (or replaces) the model file `bytes` under `name`. */
export function putModel(name: string, bytes: Uint8Array): Promise<StoredModelInfo> {
  const record = { name, bytes: bytes.byteLength, dateSaved: new Date() };
  const copy = bytes.slice().buffer;
  return transaction([MODELS, INFO], 'readwrite', async (tx) => {
    tx.objectStore(MODELS).put({ name, bytes: copy });
    tx.objectStore(INFO).put(record);
    return infoOf(record);
  });
}

/** The model file saved under `name`. */
export function getModel(name: string): Promise<Uint8Array> {
  return transaction([MODELS], 'readonly', async (tx) => {
    const record = (await done(tx.objectStore(MODELS).get(name))) as { bytes: ArrayBuffer } | undefined;
    if (!record) throw notFound(name);
    return new Uint8Array(record.bytes);
  });
}

/** Every saved model's name, size and date, oldest first. */
export function listStoredModels(): Promise<StoredModelInfo[]> {
  return transaction([INFO], 'readonly', async (tx) => {
    const records = (await done(tx.objectStore(INFO).getAll())) as Omit<StoredModelInfo, 'url'>[];
    return records.map(infoOf).sort((a, b) => a.dateSaved.getTime() - b.dateSaved.getTime());
  });
}

/** Deletes the model saved under `name`. */
export function deleteModel(name: string): Promise<void> {
  return transaction([MODELS, INFO], 'readwrite', async (tx) => {
    const count = await done(tx.objectStore(INFO).count(name));
    if (count === 0) throw notFound(name);
    tx.objectStore(MODELS).delete(name);
    tx.objectStore(INFO).delete(name);
  });
}
