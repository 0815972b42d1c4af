/**
 * Gzip detection and decompression with the web-standard DecompressionStream('gzip'),
 * available in Node >= 18, Deno, Bun, Cloudflare Workers and current browsers.
 */

import { readAllBytes } from './stream.js';

/** True when `bytes` starts with the gzip magic number 0x1f 0x8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Decompresses a complete gzip file held in memory. */
export async function gunzip(compressed: Uint8Array): Promise<Uint8Array> {
  if (typeof DecompressionStream !== 'function') {
    throw new Error('gzip input needs DecompressionStream, which this JavaScript runtime does not provide');
  }
  const decompression = new DecompressionStream('gzip');
  const writer = decompression.writable.getWriter();
  // Writing and closing settle only as the readable side is drained, so they are not
  // awaited here; their failures surface through the read below.
  writer.write(compressed as Uint8Array<ArrayBuffer>).catch(() => undefined);
  writer.close().catch(() => undefined);
  try {
    return await readAllBytes(decompression.readable);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`gzip: corrupt or truncated compressed data (${reason})`, { cause: error });
  }
}
