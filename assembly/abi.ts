// -----------------------------------------------------------------------------
// The ABI: every number the host and the core must agree on, in one place.
// The host reads each of these from the instance's exports (src/runtime/core.ts);
// none is copied by hand on the other side. All offsets are in bytes.
//
//   context    header (CTX_*) + one record per dense layer (LAYER_*), network.ts
//   dataset    descriptor of rows copied into memory once (DATA_*, INPUT_*, TARGET_*)
//   optimizer  hyper-parameters and the flat buffers it updates (OPT_*, OPTIMIZER_*)
//   work       the threaded rounds' shared counters (WORK_*), parallel.ts
//   kinds      activation, loss and accuracy codes (activations.ts, losses.ts)
//   GEMM       scratch size, flags and epilogues (gemm), re-exported by name
// -----------------------------------------------------------------------------

// --- context header ---------------------------------------------------------
export const CTX_NUM_LAYERS: i32 = 0;
export const CTX_INPUT_SIZE: i32 = 4;
export const CTX_OUTPUT_SIZE: i32 = 8;
export const CTX_LOSS: i32 = 12;
export const CTX_ACCURACY: i32 = 16;
export const CTX_CAPACITY: i32 = 20;
export const CTX_X: i32 = 24;
export const CTX_T: i32 = 28;
export const CTX_SCRATCH: i32 = 32;
/** Non-zero while every layer's PW holds its current weights (the forward reads PW): after packWeights, or a threaded update. */
export const CTX_PACKED_WEIGHTS: i32 = 36;
export const CTX_STAT_LOSS: i32 = 40;       // f64
export const CTX_STAT_CORRECT: i32 = 48;    // i32
export const CTX_STAT_GRAD_NORM: i32 = 56;  // f64
/** Threaded mode: the batch row this context's rows of X, T, A and D start at. */
export const CTX_FIRST_ROW: i32 = 64;
/** u32: the model's seed, for the dropout masks (dropout.ts). */
export const CTX_SEED: i32 = 68;
/** u32: the training step the masks are drawn for (the optimizer's steps before this one). */
export const CTX_STEP: i32 = 72;
/** f32: Huber's δ (β) for the HUBER loss. */
export const CTX_HUBER_DELTA: i32 = 76;
/** This context's per-row loss weights [capacity] f32, rows from CTX_FIRST_ROW (filled by gatherBatch from DATA_WEIGHTS). */
export const CTX_ROW_WEIGHTS: i32 = 80;
/**
 * i32: first-layer products left to run without trying sparse A (network.ts firstLayerSparse):
 * set after a product found no block of the input sparse enough (dense data), counted down.
 */
export const CTX_DENSE_INPUT_CALLS: i32 = 84;
export const CTX_HEADER_BYTES: i32 = 88;
// --- one layer record, following the header ---------------------------------
export const LAYER_IN: i32 = 0;
export const LAYER_OUT: i32 = 4;
export const LAYER_ACTIVATION: i32 = 8;
export const LAYER_W: i32 = 12;
export const LAYER_B: i32 = 16;
export const LAYER_GW: i32 = 20;
export const LAYER_GB: i32 = 24;
export const LAYER_A: i32 = 28;
export const LAYER_D: i32 = 32;
/** Threaded mode: the layer's δ for the whole batch, packed for GEMM_PREPACKED_B (0: none). */
export const LAYER_PD: i32 = 40;
/** The layer's W packed for the forward product (packPanels' layout; 0: none); see CTX_PACKED_WEIGHTS. */
export const LAYER_PW: i32 = 44;
/** f32: α of LEAKY_RELU and ELU (ignored by the other kinds). */
export const LAYER_ALPHA: i32 = 48;
/** The pre-activations z [capacity, out] for the kinds whose backward reads z (activations.ts); 0: none. */
export const LAYER_Z: i32 = 52;
/** f32: the dropout rate p on the layer's outputs while training (0: off). */
export const LAYER_DROPOUT: i32 = 56;
/**
 * The dropped outputs [capacity, out] the next layer reads while training, where the
 * activation's backward needs the outputs undropped (sigmoid, tanh, softplus); 0: dropout
 * works in place in A.
 */
export const LAYER_DROPPED: i32 = 60;
/** f32: the L1 and L2 penalties on the layer's weights (regularize.ts; 0: off). */
export const LAYER_L1: i32 = 64;
export const LAYER_L2: i32 = 68;
/** Batch norm of the pre-activations (batchnorm.ts): γ [out] in the parameters; 0: no batch norm. */
export const LAYER_BN_GAMMA: i32 = 72;
/** β [out], in the parameters after γ. */
export const LAYER_BN_BETA: i32 = 76;
/** ∂L/∂γ and ∂L/∂β [out], in the gradients. */
export const LAYER_BN_GRAD_GAMMA: i32 = 80;
export const LAYER_BN_GRAD_BETA: i32 = 84;
/** The batch's μ and 1/√(σ² + ε) [out], saved by the training forward for the backward. */
export const LAYER_BN_MEAN: i32 = 88;
export const LAYER_BN_INV_STD: i32 = 92;
/** Running mean and variance [out] (inference), in the parameter buffer after the trainable ones. */
export const LAYER_BN_RUNNING_MEAN: i32 = 96;
export const LAYER_BN_RUNNING_VAR: i32 = 100;
/** x̂ [capacity, out], the normalised pre-activations the backward reads. */
export const LAYER_BN_XHAT: i32 = 104;
/** f32: PyTorch's momentum m (running ← (1-m)·running + m·batch) and ε. */
export const LAYER_BN_MOMENTUM: i32 = 108;
export const LAYER_BN_EPSILON: i32 = 112;
export const LAYER_BYTES: i32 = 116;
// --- dataset descriptor -----------------------------------------------------
export const DATA_INPUTS: i32 = 0;
export const DATA_INPUT_KIND: i32 = 4;      // INPUT_F32 | INPUT_U8
export const DATA_INPUT_SCALE: i32 = 8;     // f32, multiplies every input
export const DATA_TARGETS: i32 = 12;
export const DATA_TARGET_KIND: i32 = 16;    // TARGET_LABELS (i32) | TARGET_ROWS (f32)
export const DATA_COUNT: i32 = 20;
/** Per-row loss weights [count] f32 (sample × class weight), or 0: unweighted (Keras' mean of w_i · loss_i). */
export const DATA_WEIGHTS: i32 = 24;
export const DATA_BYTES: i32 = 28;
export const INPUT_F32: i32 = 0;
export const INPUT_U8: i32 = 1;
export const TARGET_LABELS: i32 = 0;
export const TARGET_ROWS: i32 = 1;
// --- optimizer descriptor ---------------------------------------------------
export const OPT_KIND: i32 = 0;
export const OPT_STEP: i32 = 4;             // i32, steps taken so far
export const OPT_LEARNING_RATE: i32 = 8;    // f32 ...
export const OPT_BETA1: i32 = 12;           // Adam β1, or SGD / RMSprop momentum μ
export const OPT_BETA2: i32 = 16;
export const OPT_EPSILON: i32 = 20;
export const OPT_WEIGHT_DECAY: i32 = 24;
export const OPT_CLIP_NORM: i32 = 28;       // 0 = no clipping
export const OPT_TRACK_NORM: i32 = 32;      // i32 flag: compute the gradient norm every step
export const OPT_PARAMS: i32 = 36;
export const OPT_GRADS: i32 = 40;
export const OPT_MOMENT1: i32 = 44;         // Adam m, or SGD velocity
export const OPT_MOMENT2: i32 = 48;         // Adam v
export const OPT_LENGTH: i32 = 52;          // floats the optimizer updates (the trainable ones)
export const OPT_ALPHA: i32 = 56;           // f32, RMSprop's smoothing constant α
export const OPT_CENTERED: i32 = 60;        // i32 flag, centered RMSprop
export const OPT_LR_DECAY: i32 = 64;        // f32, Adagrad's learning-rate decay
export const OPT_MOMENT3: i32 = 68;         // centered RMSprop's gradient average ḡ (0: none)
export const OPT_BYTES: i32 = 72;
export const OPTIMIZER_SGD: i32 = 0;
export const OPTIMIZER_MOMENTUM: i32 = 1;
export const OPTIMIZER_NESTEROV: i32 = 2;
export const OPTIMIZER_ADAM: i32 = 3;
export const OPTIMIZER_ADAMW: i32 = 4;
/** RMSprop: square average in MOMENT2, momentum buffer in MOMENT1 (when μ > 0), ḡ in MOMENT3 (centered). */
export const OPTIMIZER_RMSPROP: i32 = 5;
/** Adagrad: the sum of squares in MOMENT2 (the host starts it at initial_accumulator_value). */
export const OPTIMIZER_ADAGRAD: i32 = 6;

// --- work counters of the threaded rounds (i32 each, at the `work` pointer) -------
/** splitUpdate: the next weight row, over all layers' input rows. */
export const WORK_NEXT_ROW: i32 = 0;
/** splitUpdate: the next bias item (one per layer). */
export const WORK_NEXT_ITEM: i32 = 4;
/** shareDeltas: the next batch row. */
export const WORK_NEXT_BATCH_ROW: i32 = 8;
/**
 * The barrier of the batch-norm deltas round (parallel.ts): arrivals in the low 16 bits,
 * the generation above them. Every barrier completes, so it is at 0 arrivals between rounds.
 */
export const WORK_BARRIER: i32 = 12;
/** Bytes of the work counters (the host zeroes each counter before the round that uses it). */
export const WORK_BYTES: i32 = 16;

// --- activation kinds (LAYER_ACTIVATION) -------------------------------------------
export const LINEAR: i32 = 0;
export const SIGMOID: i32 = 1;
export const TANH: i32 = 2;
export const RELU: i32 = 3;
export const SOFTPLUS: i32 = 4;
export const SOFTMAX: i32 = 5;
export const LEAKY_RELU: i32 = 6;
export const ELU: i32 = 7;
export const SELU: i32 = 8;
export const GELU: i32 = 9;
export const GELU_TANH: i32 = 10;
export const SILU: i32 = 11;

// --- loss kinds (CTX_LOSS) -----------------------------------------------------------
export const MSE: i32 = 0;
export const L2: i32 = 1;
export const CROSS_ENTROPY: i32 = 2;
export const BINARY_CROSS_ENTROPY: i32 = 3;
export const HUBER: i32 = 4;
export const MAE: i32 = 5;

// --- accuracy kinds (CTX_ACCURACY) -----------------------------------------------------
/** No accuracy (regression targets). */
export const ACCURACY_NONE: i32 = 0;
/** A row is correct when its largest output is the target's (one correct per row). */
export const ACCURACY_ARGMAX: i32 = 1;
/** Each output is correct when (a ≥ 0.5) == (t ≥ 0.5) (outputSize per row). */
export const ACCURACY_THRESHOLD: i32 = 2;

// --- GEMM constants (defined beside the kernels) ------------------------------------
export { GEMM_SCRATCH_BYTES, GEMM_SPARSE_A, GEMM_PREPACKED_B, FINISH_NONE, FINISH_RELU, FINISH_RELU_MASK } from './gemm';
