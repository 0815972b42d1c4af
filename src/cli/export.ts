/**
 * `simdnet export MODEL --format onnx|safetensors|tfjs --out PATH`: writes a saved model as
 * an ONNX file (src/io/onnx.ts), a safetensors file with PyTorch nn.Sequential names
 * (src/io/safetensors.ts), or a TF.js layers model directory holding model.json and
 * weights.bin (src/io/tfjs-layers.ts).
 *
 * The CLI's input standardization and regression target scaling are folded into
 * the first and last dense layers (preprocess.ts), so the exported model takes raw
 * features and returns raw values, exactly like `simdnet predict`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toOnnx } from '../io/onnx.js';
import { toSafetensors } from '../io/safetensors.js';
import { toTfjsLayers } from '../io/tfjs-layers.js';
import type { Model } from '../model/model.js';
import { choiceFlag, parseFlags, positionalArgs, stringFlag } from './args.js';
import { UsageError, withContext } from './errors.js';
import { type CliMetadata, classNamesOf } from './metadata.js';
import { foldStandardization } from './preprocess.js';
import { openModel } from './saved-model.js';

export const EXPORT_USAGE = `usage: simdnet export MODEL --format onnx|safetensors|tfjs --out PATH     write a saved model for ONNX Runtime, PyTorch or TensorFlow.js

  --format NAME    onnx (one .onnx file, opset 13)
                   | safetensors (one .safetensors file: nn.Sequential state_dict names, 0.weight [out, in], ...)
                   | tfjs (a directory with model.json + weights.bin)
  --out PATH       the .onnx or .safetensors file, or the directory for tfjs (created if missing)
  --no-fold        keep the CSV standardization out of the weights: the exported model then
                   expects standardized features and returns standardized regression values
                   (default: folded into the first and last layers: raw features in, raw values out)`;

const FLAGS = { format: { type: 'string' }, out: { type: 'string' }, 'no-fold': { type: 'boolean' } } as const;
const FORMATS = ['onnx', 'safetensors', 'tfjs'] as const;

/** What a user of the exported model needs to read its outputs; `simdnet import` restores it. */
function carriedMetadata(model: Model, meta: CliMetadata, fold: boolean): Record<string, unknown> {
  const simdnet: Record<string, unknown> = {
    task: meta.task,
    standardizationFolded: fold && Boolean(meta.standardize || meta.targetStandardize),
  };
  if (meta.features) simdnet.features = meta.features;
  if (meta.label) simdnet.label = meta.label;
  if (meta.task === 'classification') simdnet.classNames = classNamesOf(model, meta);
  if (!fold && meta.standardize) simdnet.standardize = meta.standardize;
  if (!fold && meta.targetStandardize) simdnet.targetStandardize = meta.targetStandardize;
  return simdnet;
}

export async function exportCommand(argv: string[]): Promise<void> {
  const { flags, positionals } = parseFlags(argv, FLAGS, 'export');
  const [modelPath] = positionalArgs(positionals, ['MODEL'], 'export');
  if (flags.format === undefined) throw new UsageError(`export needs --format ${FORMATS.join('|')}`);
  const format = choiceFlag(flags, 'format', FORMATS, 'onnx');
  const out = stringFlag(flags, 'out');
  if (out === undefined)
    throw new UsageError(
      `export needs --out PATH (${format === 'tfjs' ? 'a directory for model.json and weights.bin' : `the .${format} file`})`,
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
  } else if (format === 'safetensors') {
    const source = { describe: () => description, loss: model.loss, optimizer: model.optimizer };
    const metadata = { 'simdnet.cli': JSON.stringify(carriedMetadata(model, meta, fold)) };
    const bytes = await withContext('safetensors export', () => toSafetensors(source, { metadata }));
    await withContext(`cannot write ${out}`, () => writeFile(out, bytes));
    const names = description.layers.map((_, l) => `${2 * l}.weight/bias`).join(', ');
    console.log(
      `wrote ${out} (safetensors, F32, ${names} as in torch.nn.Sequential, ${bytes.length.toLocaleString('en-US')} bytes)`,
    );
  } else {
    const { modelJson, weightsBin } = await withContext('tfjs export', () => toTfjsLayers(description));
    // tfjs keeps userDefinedMetadata.
    const json = { ...modelJson, userDefinedMetadata: { simdnet: carriedMetadata(model, meta, fold) } };
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
