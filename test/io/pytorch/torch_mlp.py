"""PyTorch side of the interop tests: JSON jobs on stdin, one per line, each answered by one
JSON line on stdout ({"ok": result} or {"error": message}), so torch is imported once per test file.

Jobs (arrays of numbers are flat, row-major; every float crosses as its exact decimal repr):
  train        build nn.Sequential(Linear, [BatchNorm1d], act, [Dropout], ...) from sizes/activations
               (alphas, batch_norm per layer), train it briefly on seeded data, write safetensors
               (and ONNX), return the outputs on `inputs`
  predict      load a .safetensors state_dict into that nn.Sequential (strict: every name and
               index must match) and return outputs and weights
  predict_onnx evaluate an ONNX file's nodes one by one with torch functions (Gemm, MatMul,
               Add, Mul, Div, Erf, BatchNormalization, the activations; initializers read with
               onnx.numpy_helper) and return its outputs
A softmax output is trained as logits with CrossEntropyLoss (what PyTorch users do): it is not
a module in the state_dict model, and outputs are softmax(logits), which simdnet predicts.
"""
import io
import json
import sys
import warnings

import torch

from safetensors_io import load_file, save_file

warnings.filterwarnings("ignore")
torch.set_num_threads(1)

MODULES = {
    "linear": lambda alpha: torch.nn.Identity(),
    "relu": lambda alpha: torch.nn.ReLU(),
    "sigmoid": lambda alpha: torch.nn.Sigmoid(),
    "tanh": lambda alpha: torch.nn.Tanh(),
    "softplus": lambda alpha: torch.nn.Softplus(),
    "leakyRelu": lambda alpha: torch.nn.LeakyReLU(0.01 if alpha is None else alpha),
    "elu": lambda alpha: torch.nn.ELU(1.0 if alpha is None else alpha),
    "selu": lambda alpha: torch.nn.SELU(),
    "gelu": lambda alpha: torch.nn.GELU(),
    "geluTanh": lambda alpha: torch.nn.GELU(approximate="tanh"),
    "silu": lambda alpha: torch.nn.SiLU(),
}
DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64}


def per_layer(value, count, default):
    """A per-layer list from a list, a single value, or None."""
    if isinstance(value, list):
        return value + [default] * (count - len(value))
    return [default if value is None else value] * count


def build(sizes, activations, dropout=False, flatten=False, batch_norm=None, alphas=None, epsilons=None):
    """nn.Sequential([Flatten,] Linear, [BatchNorm1d,] act, [Dropout,] Linear, ...): the last softmax is left out.
    dropout: a bool for every hidden layer, or a list per layer; batch_norm, alphas, epsilons: lists per layer
    (the epsilon is not in a state_dict: the model definition carries it)."""
    count = len(activations)
    dropout = per_layer(dropout, count, False)
    batch_norm = per_layer(batch_norm, count, False)
    alphas = per_layer(alphas, count, None)
    epsilons = per_layer(epsilons, count, 1e-5)
    modules = [torch.nn.Flatten()] if flatten else []
    for l, activation in enumerate(activations):
        modules.append(torch.nn.Linear(sizes[l], sizes[l + 1]))
        if batch_norm[l]:
            modules.append(torch.nn.BatchNorm1d(sizes[l + 1], eps=epsilons[l]))
        last = l == count - 1
        if last and activation == "softmax":
            break
        modules.append(MODULES[activation](alphas[l]))
        if dropout[l] and not last:
            modules.append(torch.nn.Dropout(0.25))
    return torch.nn.Sequential(*modules)


def outputs(model, activations, inputs, input_size):
    model.eval()
    with torch.no_grad():
        y = model(torch.tensor(inputs, dtype=torch.float32).reshape(-1, input_size))
        if activations[-1] == "softmax":
            y = torch.softmax(y, dim=-1)
    return y.reshape(-1).tolist()


def train(job):
    torch.manual_seed(job["seed"])
    sizes, activations = job["sizes"], job["activations"]
    model = build(sizes, activations, job.get("dropout", False), job.get("flatten", False),
                  job.get("batch_norm"), job.get("alphas"))
    x = torch.randn(128, sizes[0])
    if activations[-1] == "softmax":
        y = (x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()
        y = y.clamp(max=sizes[-1] - 1)
        loss_fn = torch.nn.CrossEntropyLoss()
    else:
        y = torch.tanh(x[:, :1] * 2 - x[:, 1:2]).repeat(1, sizes[-1])
        loss_fn = torch.nn.MSELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    model.train()
    for step in range(job.get("steps", 40)):
        batch = slice((step * 32) % 128, (step * 32) % 128 + 32)
        optimizer.zero_grad()
        loss_fn(model(x[batch]), y[batch]).backward()
        optimizer.step()
    model.eval()
    dtype = DTYPES[job.get("dtype", "F32")]
    # Floats in the chosen dtype; integers (BatchNorm1d's num_batches_tracked) stay int64.
    state = {name: tensor.to(dtype) if tensor.is_floating_point() else tensor
             for name, tensor in model.state_dict().items()}
    if dtype != torch.float32:  # the model the test compares with holds the converted weights
        model.load_state_dict({name: tensor.to(torch.float32) if tensor.is_floating_point() else tensor
                               for name, tensor in state.items()})
    save_file(state, job["safetensors"], job.get("metadata"))
    if "onnx" in job:
        exported = model
        if activations[-1] == "softmax":
            exported = torch.nn.Sequential(*model, torch.nn.Softmax(dim=1))
        sample = torch.zeros(2, sizes[0])
        f = io.BytesIO()
        opset = job.get("opset", 14)
        if job.get("matmul", False):  # 3-D input: torch writes MatMul + Add instead of Gemm
            sample = torch.zeros(2, 1, sizes[0])
        torch.onnx.export(exported, sample, f, input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}}, opset_version=opset)
        with open(job["onnx"], "wb") as out:
            out.write(f.getvalue())
    return {"outputs": outputs(model, activations, job["inputs"], sizes[0]),
            "names": list(state.keys())}


def predict(job):
    tensors, metadata = load_file(job["safetensors"])
    weights = sorted((name for name in tensors if name.endswith(".weight") and tensors[name].dim() == 2),
                     key=lambda n: int(n.split(".")[0]))
    sizes = [tensors[weights[0]].shape[1]] + [tensors[name].shape[0] for name in weights]
    activations = job["activations"]
    model = build(sizes, activations, job.get("dropout", False), False, job.get("batch_norm"), job.get("alphas"),
                  job.get("epsilons"))
    model.load_state_dict({name: tensor if tensor.dtype == torch.int64 else tensor.to(torch.float32)
                           for name, tensor in tensors.items()}, strict=True)
    return {"outputs": outputs(model, activations, job["inputs"], sizes[0]),
            "weights": {name: tensor.reshape(-1).tolist() for name, tensor in tensors.items()},
            "shapes": {name: list(tensor.shape) for name, tensor in tensors.items()},
            "dtypes": {name: str(tensor.dtype) for name, tensor in tensors.items()},
            "metadata": metadata}


def predict_onnx(job):
    import onnx
    from onnx import numpy_helper

    model = onnx.load(job["onnx"])
    onnx.checker.check_model(model, full_check=True)  # the file is valid ONNX, shapes inferred
    graph = model.graph
    constants = {t.name: torch.tensor(numpy_helper.to_array(t)) for t in graph.initializer}
    F = torch.nn.functional
    activations = {"Relu": torch.relu, "Sigmoid": torch.sigmoid, "Tanh": torch.tanh, "Erf": torch.erf,
                   "Softplus": F.softplus, "Softmax": lambda v: torch.softmax(v, dim=-1), "Selu": F.selu}
    x = torch.tensor(job["inputs"], dtype=torch.float32).reshape(-1, job["input_size"])
    values = {graph.input[0].name: x}
    for node in graph.node:
        args = [values[name] if name in values else constants[name] for name in node.input]
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type == "Gemm":
            a, b = args[0], args[1]
            if attrs.get("transB", 0):
                b = b.t()
            out = a @ b + (args[2] if len(args) > 2 else 0)
        elif node.op_type == "MatMul":
            out = args[0] @ args[1]
        elif node.op_type == "Add":
            out = args[0] + args[1]
        elif node.op_type == "Mul":
            out = args[0] * args[1]
        elif node.op_type == "Div":
            out = args[0] / args[1]
        elif node.op_type == "LeakyRelu":
            out = F.leaky_relu(args[0], attrs.get("alpha", 0.01))
        elif node.op_type == "Elu":
            out = F.elu(args[0], attrs.get("alpha", 1.0))
        elif node.op_type == "Gelu":
            out = F.gelu(args[0], approximate=attrs.get("approximate", b"none").decode())
        elif node.op_type == "BatchNormalization":
            x, scale, bias, mean, var = args
            out = F.batch_norm(x, mean, var, scale, bias, training=False, eps=attrs.get("epsilon", 1e-5))
        elif node.op_type in activations:
            out = activations[node.op_type](args[0])
        else:
            raise ValueError(f"predict_onnx: unexpected node {node.op_type}")
        values[node.output[0]] = out
    return {"outputs": values[graph.output[0].name].reshape(-1).tolist()}


JOBS = {"train": train, "predict": predict, "predict_onnx": predict_onnx}

if __name__ == "__main__":
    for line in sys.stdin:
        job = json.loads(line)
        try:
            reply = {"ok": JOBS[job["cmd"]](job)}
        except Exception as error:  # reported to the test, which fails with the message
            reply = {"error": f"{type(error).__name__}: {error}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
