/**
 * `simdnet info MODEL`: a saved model's architecture, loss, optimizer, training
 * state and metadata, as text or (--json) one JSON object.
 */
import { statSync } from 'node:fs';
import { parseFlags, positionalArgs } from './args.js';
import { classNamesOf } from './metadata.js';
import { percent, shortNumber, thousands } from './metrics.js';
import { openModel } from './saved-model.js';

export const INFO_USAGE = `usage: simdnet info MODEL [--json]     architecture, optimizer, training state and metadata of a saved model

  --json    print one JSON object (with the full metadata) instead of text`;

const FLAGS = { json: { type: 'boolean' } } as const;

/** Keys written by the CLI that get their own line (or none) in the text output. */
const SHOWN_KEYS = new Set(['task', 'dataset', 'features', 'label', 'classNames', 'standardize', 'targetStandardize']);

/** A metadata value in one short line: long arrays are abbreviated. */
function brief(value: unknown): string {
  if (Array.isArray(value))
    return value.length > 8
      ? `[${value.slice(0, 8).map(brief).join(', ')}, ... (${value.length})]`
      : `[${value.map(brief).join(', ')}]`;
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : shortNumber(value, 6);
  if (typeof value === 'object' && value !== null) return JSON.stringify(value).slice(0, 200);
  return String(value);
}

export async function infoCommand(argv: string[]): Promise<void> {
  const { flags, positionals } = parseFlags(argv, FLAGS, 'info');
  const [path] = positionalArgs(positionals, ['MODEL'], 'info');
  const { model, meta } = await openModel(path);
  const layers = model.layers.map((l) => ({
    inputs: l.inSize,
    units: l.units,
    activation: l.activation,
    parameters: l.inSize * l.units + l.units,
  }));

  if (flags.json) {
    console.log(
      JSON.stringify({
        file: path,
        bytes: statSync(path).size,
        inputSize: model.inputSize,
        outputSize: model.outputSize,
        layers,
        parameterCount: model.parameterCount,
        loss: model.loss,
        optimizer: model.optimizer,
        seed: model.seed,
        training: model.training,
        task: meta.task,
        classNames: meta.task === 'classification' ? classNamesOf(model, meta) : undefined,
        metadata: model.metadata,
      }),
    );
    return;
  }

  const lines: string[] = [];
  const opt = model.optimizer;
  lines.push(
    `${path}: ${meta.task}${meta.dataset ? ` model trained on ${meta.dataset === 'csv' ? 'a CSV file' : meta.dataset}` : ' model'}, ${thousands(statSync(path).size)} bytes`,
  );
  const featureNames = meta.features ? `: ${brief(meta.features).slice(1, -1)}` : '';
  lines.push(
    `input     ${model.inputSize} features${featureNames}${meta.standardize ? ' (standardized with the training statistics)' : ''}`,
  );
  layers.forEach((l, i) =>
    lines.push(
      `${`dense_${i}   ${l.inputs} -> ${l.units} ${l.activation}`.padEnd(34)}${thousands(l.parameters)} parameters`,
    ),
  );
  if (meta.task === 'classification')
    lines.push(`output    ${classNamesOf(model, meta).length} classes: ${classNamesOf(model, meta).join(', ')}`);
  else
    lines.push(
      `output    ${meta.label ?? 'value'}${meta.targetStandardize ? ` (mean ${shortNumber(meta.targetStandardize.mean[0], 6)}, std ${shortNumber(meta.targetStandardize.std[0], 6)})` : ''}`,
    );
  lines.push(`total     ${thousands(model.parameterCount)} parameters`);
  lines.push(`loss      ${model.loss}`);
  const hyper =
    opt.type === 'sgd'
      ? `momentum ${opt.momentum}${opt.nesterov ? ' (nesterov)' : ''}`
      : `beta1 ${opt.beta1}, beta2 ${opt.beta2}, epsilon ${opt.epsilon}`;
  lines.push(
    `optimizer ${opt.type}, lr ${opt.learningRate}, ${hyper}, weight decay ${opt.weightDecay}, clip norm ${opt.clipNorm || 'off'}`,
  );
  lines.push(
    `training  ${model.training.epochs} epochs, ${thousands(model.training.steps)} steps, current lr ${shortNumber(model.training.learningRate, 4)}, seed ${model.seed}`,
  );
  if (meta.label) lines.push(`label     ${meta.label}`);
  const rest = Object.entries(model.metadata).filter(([key, value]) => !SHOWN_KEYS.has(key) && value !== undefined);
  if (rest.length > 0) lines.push('metadata');
  const width = Math.max(...rest.map(([key]) => key.length));
  for (const [key, value] of rest) {
    const shown = typeof value === 'number' && /accuracy/i.test(key) ? percent(value) : brief(value);
    lines.push(`  ${key.padEnd(width)}  ${shown}`);
  }
  console.log(lines.join('\n'));
}
