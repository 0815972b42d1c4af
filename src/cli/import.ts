/**
 * `simdnet import MODEL_JSON --out MODEL`: a TF.js layers model (model.json and
 * the weight files its manifest names, e.g. from Keras via tensorflowjs_converter
 * or `simdnet export --format tfjs`) into a simdnet model file, ready for
 * evaluate, predict, info and export.
 *
 * Metadata that `simdnet export` wrote (userDefinedMetadata.simdnet: task, features,
 * label, class names, unfolded scaling) comes back with the model.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fromTfjsLayers } from '../io/tfjs-layers.js';
import { saveModelFile } from '../io/node.js';
import { createModel } from '../model/factories.js';
import { LOSSES, type Loss } from '../model/spec.js';
import { choiceFlag, parseFlags, positionalArgs, requireFile, stringFlag } from './args.js';
import { CliError, UsageError, withContext } from './errors.js';
import { readCliMetadata } from './metadata.js';
import { thousands } from './metrics.js';

export const IMPORT_USAGE = `usage: simdnet import MODEL_JSON --out MODEL     convert a TF.js layers model (Dense layers) to a simdnet model file

  --out FILE     the simdnet model file to write
  --loss NAME    ${LOSSES.join(', ')}   [crossEntropy for a softmax output, binaryCrossEntropy for sigmoid, else mse]

The weight files named in model.json's weightsManifest are read from the same directory.`;

const FLAGS = { out: { type: 'string' }, loss: { type: 'string' } } as const;

export async function importCommand(argv: string[]): Promise<void> {
  const { flags, positionals } = parseFlags(argv, FLAGS, 'import');
  const [jsonPath] = positionalArgs(positionals, ['MODEL_JSON'], 'import');
  const out = stringFlag(flags, 'out');
  if (out === undefined) throw new UsageError('import needs --out FILE for the simdnet model');
  requireFile(jsonPath, 'model.json');

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

  const output = description.layers[description.layers.length - 1].activation;
  const fallback: Loss = output === 'softmax' ? 'crossEntropy' : output === 'sigmoid' ? 'binaryCrossEntropy' : 'mse';
  const loss = choiceFlag(flags, 'loss', LOSSES, fallback);
  const model = await withContext(jsonPath, async () => {
    const created = await createModel({
      inputSize: description.inputSize,
      layers: description.layers.map(({ units, activation }) => ({ units, activation })),
      loss,
    });
    created.setWeights(description);
    return created;
  });
  const carried = json.userDefinedMetadata?.simdnet ?? {};
  const metadata: Record<string, unknown> = { importedFrom: jsonPath };
  for (const key of ['task', 'features', 'label', 'classNames', 'standardize', 'targetStandardize']) {
    if (carried[key] !== undefined) metadata[key] = carried[key];
  }
  model.metadata = metadata;
  await withContext(jsonPath, () => readCliMetadata(model)); // carried metadata must fit the model
  await withContext(`cannot write ${out}`, () => saveModelFile(model, out, { optimizerState: false }));
  console.log(
    `wrote ${out}: ${model.inputSize}-${model.layers.map((l) => l.units).join('-')} (${thousands(model.parameterCount)} parameters), loss ${loss}`,
  );
}
