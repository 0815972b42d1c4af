// Step 3 (Node): the model trained with DistributedDataParallel comes back into simdnet, for
// inference (here, in a page or an edge function) and, if wanted, fine-tuning.
//   node examples/pytorch-ddp/predict.mjs [DIR]    reads DIR/model-ddp.safetensors
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromSafetensors } from 'simdnet';
import { accuracy, makeData } from './data.mjs';

const dir = process.argv[2] ?? 'ddp-run';
const data = makeData();
// The architecture comes from the file's metadata (train_ddp.py keeps simdnet's).
const model = await fromSafetensors(readFileSync(join(dir, 'model-ddp.safetensors')));
console.log(`simdnet: the DDP-trained model, accuracy ${accuracy(model, data).toFixed(3)}`);

await model.fit(data, { epochs: 1, batchSize: 64 });
console.log(`simdnet: after 1 epoch of fine-tuning, accuracy ${accuracy(model, data).toFixed(3)}`);
