/** Types for demo/serve.mjs (imported by test/demo). */
export interface DemoServer {
  /** e.g. http://127.0.0.1:8000 (no trailing slash) */
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface DemoServerOptions {
  /** Default 8000; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Build build/simdnet.wasm first when missing or older than assembly/ (default true). */
  buildCore?: boolean;
}

export function startDemoServer(options?: DemoServerOptions): Promise<DemoServer>;
