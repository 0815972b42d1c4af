/**
 * `simdnet export MODEL --format onnx|tfjs --out PATH`: writes a saved model as
 * an ONNX file (src/io/onnx.ts) or a TF.js layers model directory holding
 * model.json and weights.bin (src/io/tfjs-layers.ts).
 *
 * The CLI's input standardization and regression target scaling are folded into
 * the first and last dense layers (preprocess.ts), so the exported model takes raw
 * features and returns raw values, exactly like `simdnet predict`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toOnnx } from '../io/onnx.js';
import { toTfjsLayers } from '../io/tfjs-layers.js';
import { choiceFlag, parseFlags, positionalArgs, stringFlag } from './args.js';
import { UsageError, withContext } from './errors.js';
import { classNamesOf } from './metadata.js';
import { foldStandardization } from './preprocess.js';
import { openModel } from './saved-model.js';

export const EXPORT_USAGE = `usage: simdnet export MODEL --format onnx|tfjs --out PATH     write a saved model for ONNX Runtime or TensorFlow.js

  --format NAME    onnx (one .onnx file, opset 13) | tfjs (a directory with model.json + weights.bin)
  --out PATH       the .onnx file, or the directory for tfjs (created if missing)
  --no-fold        keep the CSV standardization out of the weights: the exported model then
                   expects standardized features and returns standardized regression values
                   (default: folded into the first and last layers: raw features in, raw values out)`;

const FLAGS = { format: { type: 'string' }, out: { type: 'string' }, 'no-fold': { type: 'boolean' } } as const;

export async function exportCommand(argv: string[]): Promise<void> {
  const { flags, positionals } = parseFlags(argv, FLAGS, 'export');
  const [modelPath] = positionalArgs(positionals, ['MODEL'], 'export');
  if (flags.format === undefined) throw new UsageError('export needs --format onnx|tfjs');
  const format = choiceFlag(flags, 'format', ['onnx', 'tfjs'] as const, 'onnx');
  const out = stringFlag(flags, 'out');
  if (out === undefined)
    throw new UsageError(
      `export needs --out PATH (${format === 'onnx' ? 'the .onnx file' : 'a directory for model.json and weights.bin'})`,
    );
  const { model, meta } = await openModel(modelPath);
  const fold = !flags['no-fold'];
  const description = fold
    ? await withContext(modelPath, () =>
        foldStandardization(model.describe(), meta.standardize, meta.targetStandardize),
      )
    : model.describe();

  if (format === 'onnx') {
    const bytes = await withContext('onnx export', () => toOnnx(description, { producerName: 'simdnet' }));
    await withContext(`cannot write ${out}`, () => writeFile(out, bytes));
    console.log(
      `wrote ${out} (ONNX opset 13, input 'input' [batch, ${model.inputSize}], output 'output' [batch, ${model.outputSize}], ${bytes.length.toLocaleString('en-US')} bytes)`,
    );
  } else {
    const { modelJson, weightsBin } = await withContext('tfjs export', () => toTfjsLayers(description));
    // What a user of the exported model needs to read its outputs (tfjs keeps userDefinedMetadata).
    const simdnet: Record<string, unknown> = {
      task: meta.task,
      standardizationFolded: fold && Boolean(meta.standardize || meta.targetStandardize),
    };
    if (meta.features) simdnet.features = meta.features;
    if (meta.label) simdnet.label = meta.label;
    if (meta.task === 'classification') simdnet.classNames = classNamesOf(model, meta);
    if (!fold && meta.standardize) simdnet.standardize = meta.standardize;
    if (!fold && meta.targetStandardize) simdnet.targetStandardize = meta.targetStandardize;
    const json = { ...modelJson, userDefinedMetadata: { simdnet } };
    await withContext(`cannot write ${out}`, async () => {
      await mkdir(out, { recursive: true });
      await writeFile(join(out, 'model.json'), JSON.stringify(json));
      await writeFile(join(out, 'weights.bin'), weightsBin);
    });
    console.log(
      `wrote ${join(out, 'model.json')} and ${join(out, 'weights.bin')} (TF.js layers format, ${weightsBin.length.toLocaleString('en-US')} bytes of weights)`,
    );
  }
}
