/**
 * Byte sources the readers accept, and the two ways they are consumed: chunk by chunk,
 * or gathered into one Uint8Array. Web-standard APIs only (no Node streams or Buffer),
 * so this runs in Node, browsers, Deno, Bun and Cloudflare Workers.
 *
 *   ReadableStream<Uint8Array>   fetch(...).body, Blob.stream(), DecompressionStream output
 *   AsyncIterable<Uint8Array>    Node's fs.createReadStream (Buffers are Uint8Arrays)
 *   Iterable<Uint8Array>         an array of chunks (handy in tests)
 *   Uint8Array                   the whole input as one chunk
 */

export type ByteSource = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Uint8Array;

function isReadableStream(source: unknown): source is ReadableStream<Uint8Array> {
  return typeof (source as ReadableStream | null)?.getReader === 'function';
}

function checkChunk(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  const kind = typeof chunk === 'string' ? 'a string (was the stream opened with an encoding?)' : String(chunk);
  throw new TypeError(`expected Uint8Array chunks, got ${kind}`);
}

/**
 * Yields the source's chunks in order. A ReadableStream is read through its reader (which
 * every runtime has, unlike async iteration of streams) and cancelled if the consumer stops
 * early, e.g. because a parse error was thrown.
 */
export async function* byteChunks(source: ByteSource): AsyncGenerator<Uint8Array, void, undefined> {
  if (source instanceof Uint8Array) {
    yield source;
    return;
  }
  if (isReadableStream(source)) {
    const reader = source.getReader();
    let finished = false;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        yield checkChunk(value);
      }
      finished = true;
    } finally {
      if (!finished) await reader.cancel().catch(() => undefined);
      reader.releaseLock();
    }
    return;
  }
  if (Symbol.asyncIterator in source) {
    for await (const chunk of source) yield checkChunk(chunk);
    return;
  }
  if (Symbol.iterator in source) {
    for (const chunk of source) yield checkChunk(chunk);
    return;
  }
  throw new TypeError('expected a ReadableStream, an (async) iterable of Uint8Array chunks, or a Uint8Array');
}

/** Concatenates chunks into one Uint8Array of their total length. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  let totalLength = 0;
  for (const chunk of chunks) totalLength += chunk.length;
  const joined = new Uint8Array(totalLength);
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.length;
  }
  return joined;
}

/** Reads the whole source into one Uint8Array. */
export async function readAllBytes(source: ByteSource): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of byteChunks(source)) chunks.push(chunk);
  return chunks.length === 1 ? chunks[0] : concatBytes(chunks);
}
