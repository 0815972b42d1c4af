# workerd configuration for the example Worker: `npm run build` at the repository's
# root, then
#   npx workerd serve examples/worker/config.capnp        (from the repository's root)
#   curl http://127.0.0.1:8787/
# Modules are named as the code imports them: the Worker imports 'simdnet' (this
# repository's dist/index.workerd.js, the package's `workerd` export), which
# imports './simdnet.wasm' and './simdnet-relaxed.wasm' (the cores, as wasm modules).
# In a project that installed simdnet from npm, use ../node_modules/simdnet/dist/...
# or let Wrangler resolve and bundle everything (wrangler.toml).
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker) ],
  sockets = [ (name = "http", address = "127.0.0.1:8787", http = (), service = "main") ],
);

const worker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "simdnet", esModule = embed "../../dist/index.workerd.js"),
    (name = "simdnet.wasm", wasm = embed "../../dist/simdnet.wasm"),
    (name = "simdnet-relaxed.wasm", wasm = embed "../../dist/simdnet-relaxed.wasm"),
  ],
  compatibilityDate = "2025-09-01",
);
