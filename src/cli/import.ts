/**
 * `simdnet import FILE --out MODEL`: an ONNX model, a safetensors file or a TF.js layers model
 * into a simdnet model file, ready for evaluate, predict, info and export.
 *
 *   .onnx         fromOnnx: an MLP graph as torch.onnx.export or `simdnet export` writes it
 *   .safetensors  fromSafetensors: nn.Sequential Linear weights; the architecture from the
 *                 file's simdnet metadata, or --activations for a file PyTorch wrote
 *   .json         fromTfjsLayers: model.json and the weight files its manifest names, e.g. from
 *                 Keras via tensorflowjs_converter or `simdnet export --format tfjs`
 * Any other extension is read as a TF.js model.json; --format overrides the choice by extension.
 *
 * Metadata that `simdnet export` wrote (task, features, label, class names, unfolded scaling:
 * userDefinedMetadata.simdnet in model.json, __metadata__["simdnet.cli"] in safetensors) comes
 * back with the model.
 */
import { readFile } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { saveModelFile } from '../io/node.js';
import { fromOnnx } from '../io/onnx-import.js';
import { fromSafetensors } from '../io/safetensors.js';
import { fromTfjsLayers } from '../io/tfjs-layers.js';
import { ACTIVATIONS, type Activation } from '../model/description.js';
import { createModel } from '../model/factories.js';
import type { Model } from '../model/model.js';
import { LOSSES, type Loss } from '../model/spec.js';
import { choiceFlag, namesFlag, parseFlags, positionalArgs, requireFile, stringFlag } from './args.js';
import { CliError, UsageError, withContext } from './errors.js';
import { readCliMetadata } from './metadata.js';
import { thousands } from './metrics.js';

export const IMPORT_USAGE = `usage: simdnet import FILE --out MODEL     convert an ONNX, safetensors or TF.js layers model (dense layers) to a simdnet model file

  --out FILE           the simdnet model file to write
  --format NAME        onnx | safetensors | tfjs   [from FILE's extension: .onnx, .safetensors; else tfjs]
  --activations LIST   safetensors from PyTorch: the activation after each Linear layer, e.g. relu,relu,softmax
                       (${ACTIVATIONS.join(', ')}; softmax for a classifier trained on logits)
                       [from the file's simdnet metadata]
  --loss NAME          ${LOSSES.join(', ')}   [the file's, else crossEntropy for a softmax output, binaryCrossEntropy for sigmoid, else mse]

For tfjs, FILE is model.json; the weight files named in its weightsManifest are read from the same directory.`;

const FLAGS = {
  out: { type: 'string' },
  loss: { type: 'string' },
  format: { type: 'string' },
  activations: { type: 'string' },
} as const;
const FORMATS = ['onnx', 'safetensors', 'tfjs'] as const;
type Format = (typeof FORMATS)[number];
const EXTENSIONS: Record<string, Format> = { '.onnx': 'onnx', '.safetensors': 'safetensors', '.json': 'tfjs' };
const CARRIED_KEYS = ['task', 'features', 'label', 'classNames', 'standardize', 'targetStandardize'];

export async function importCommand(argv: string[]): Promise<void> {
  const { flags, positionals } = parseFlags(argv, FLAGS, 'import');
  const [path] = positionalArgs(positionals, ['FILE'], 'import');
  const out = stringFlag(flags, 'out');
  if (out === undefined) throw new UsageError('import needs --out FILE for the simdnet model');
  // Any other extension is read as model.json (what import read before it knew other formats).
  const format = choiceFlag(flags, 'format', FORMATS, EXTENSIONS[extname(path).toLowerCase()] ?? 'tfjs');
  const activations = namesFlag(flags, 'activations');
  if (activations !== undefined) {
    if (format !== 'safetensors') throw new UsageError('--activations is for safetensors files only');
    const unknown = activations.find((a) => !(ACTIVATIONS as readonly string[]).includes(a));
    if (unknown !== undefined)
      throw new UsageError(`--activations: unknown activation '${unknown}'; expected ${ACTIVATIONS.join(', ')}`);
  }
  const loss = flags.loss === undefined ? undefined : choiceFlag(flags, 'loss', LOSSES, 'mse');
  requireFile(path, format === 'tfjs' ? 'model.json' : `${format} file`);

  let model: Model;
  let carried: Record<string, unknown> = {};
  if (format === 'tfjs') ({ model, carried } = await importTfjs(path, loss));
  else {
    const bytes = new Uint8Array(await readFile(path));
    if (format === 'onnx') model = await withContext(path, () => fromOnnx(bytes, loss ? { loss } : {}));
    else {
      model = await withContext(path, () =>
        fromSafetensors(bytes, {
          ...(activations ? { activations: activations as Activation[] } : {}),
          ...(loss ? { loss } : {}),
        }),
      );
      const cli = model.metadata['simdnet.cli'];
      if (typeof cli === 'string') {
        carried = await withContext(path, () => {
          const parsed = JSON.parse(cli) as unknown;
          if (typeof parsed !== 'object' || parsed === null)
            throw new Error('metadata simdnet.cli is not a JSON object');
          return parsed as Record<string, unknown>;
        });
      }
    }
  }

  const metadata: Record<string, unknown> = { importedFrom: path };
  for (const key of CARRIED_KEYS) if (carried[key] !== undefined) metadata[key] = carried[key];
  model.metadata = metadata;
  await withContext(path, () => readCliMetadata(model)); // carried metadata must fit the model
  await withContext(`cannot write ${out}`, () => saveModelFile(model, out, { optimizerState: false }));
  console.log(
    `wrote ${out}: ${model.inputSize}-${model.layers.map((l) => l.units).join('-')} (${thousands(model.parameterCount)} parameters), loss ${model.loss}`,
  );
}

/** model.json and its weight files -> a model, and the metadata `simdnet export` put in userDefinedMetadata. */
async function importTfjs(
  jsonPath: string,
  loss: Loss | undefined,
): Promise<{ model: Model; carried: Record<string, unknown> }> {
  const text = await readFile(jsonPath, 'utf8');
  let json: { weightsManifest?: { paths?: unknown }[]; userDefinedMetadata?: { simdnet?: Record<string, unknown> } };
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${jsonPath}: not valid JSON (${(error as Error).message})`);
  }
  const paths = Array.isArray(json?.weightsManifest)
    ? json.weightsManifest.flatMap((group) => (Array.isArray(group?.paths) ? group.paths : []))
    : [];
  if (paths.length === 0)
    throw new CliError(`${jsonPath}: no weightsManifest paths: is this a TF.js layers model.json?`);
  const weightFiles = paths.map((path) => requireFile(join(dirname(jsonPath), String(path)), 'weight file'));
  const weights = await Promise.all(weightFiles.map((path) => readFile(path)));
  const description = await withContext(jsonPath, () =>
    fromTfjsLayers(
      text,
      weights.map((b) => new Uint8Array(b)),
    ),
  );
  const model = await withContext(jsonPath, async () => {
    const created = await createModel({
      inputSize: description.inputSize,
      layers: description.layers.map(({ units, activation }) => ({ units, activation })),
      ...(loss ? { loss } : {}),
    });
    created.setWeights(description);
    return created;
  });
  return { model, carried: json.userDefinedMetadata?.simdnet ?? {} };
}
