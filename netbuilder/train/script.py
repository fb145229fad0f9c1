"""Export a network with its training settings as a standalone training script.

``netbuilder export FILE --to python --with-training -o train.py`` writes one file that needs
torch (and numpy, to read the data) alone:

- the model class of :func:`netbuilder.compile.codegen.python_source`; when the losses read
  values inside the network (a VAE's mu and logvar) its forward also returns those, as a
  hand-written VAE does;
- a ``Loss`` module made of the graph's loss blocks, returning their weighted sum;
- the document's training settings (optimizer, learning rate and schedule, epochs, batch
  size, gradient clipping, validation split, seed) as constants and two small functions;
- a loop that runs on one process (``python train.py --data d.npz``) and, started by
  ``torchrun --nproc_per_node=N``, in N processes with DistributedDataParallel.

Classification, regression, language-model and VAE recipes are exported; the perceptron rule
and GANs train differently from "forward, loss, backward, step" and are refused.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from torch import fx

from netbuilder.compile import pysource
from netbuilder.compile.builder import CompiledNetwork, compile_network
from netbuilder.compile.codegen import (
    assemble,
    class_name_for,
    defined_names,
    input_specs,
    output_ports,
    source_line,
)
from netbuilder.compile.codegen_forward import ClassWriter, Naming
from netbuilder.compile.codegen_source import HEADER_IMPORTS, definitions_source
from netbuilder.compile.pysource import literal
from netbuilder.core.atomic import write_atomic
from netbuilder.core.errors import NetbuilderError
from netbuilder.core.graph import Document
from netbuilder.core.inference import analyse
from netbuilder.train.recipes import Recipe
from netbuilder.train.settings import SettingsError, TrainingSettings

__all__ = ["ScriptExportError", "training_script", "write_training_script"]

PathLike = str | os.PathLike[str]



class ScriptExportError(NetbuilderError):
    """A document cannot be exported as a training script; the message says why."""


@dataclass(frozen=True)
class _Split:
    """The compiled graph split into the model and its losses."""

    model_nodes: list[fx.Node]
    loss_nodes: list[fx.Node]
    input: fx.Node
    target: fx.Node | None
    returns: list[fx.Node]
    unused_parameters: bool


def training_script(doc: Document, network: str | None = None) -> str:
    """A standalone script that trains the network with the document's training settings.

    Args:
        doc: the document.
        network: the network's name; None for the document's first.

    Returns:
        The script's text (see the module docstring).

    Raises:
        ScriptExportError: the recipe is not exported as a script (perceptron, GAN), the
            settings are invalid, or the network's inputs and losses do not fit the recipe.
        GraphError: the network does not exist or has errors.
        CodegenError: a block has no code form.
    """
    try:
        settings = TrainingSettings.from_doc(doc)
    except SettingsError as error:
        raise ScriptExportError(str(error)) from None
    recipe = settings.recipe_spec
    if recipe.script_refusal is not None:
        raise ScriptExportError(f"the {recipe.name} recipe is not exported as a training "
                                f"script: {recipe.script_refusal}")
    name = doc.network(network).name
    compiled = compile_network(doc, name, with_losses=True)
    module = compiled.module
    split = _split(compiled, recipe)
    naming = Naming(module.graph, output_ports(doc, name))
    writer = ClassWriter(module, naming)
    classes = writer.classes([*split.model_nodes, *split.loss_nodes])
    definitions, _ = definitions_source(classes)
    taken = (defined_names(definitions) | defined_names(_RUNTIME) | set(_CONSTANT_NAMES)
             | set(HEADER_IMPORTS) | {"Loss"})
    class_name = class_name_for(name, taken)
    specs = input_specs(doc, name)
    returned = ", ".join(naming[n] for n in split.returns)
    extra = len(split.returns) - len(compiled.parts.outputs)
    model_doc = (f"Network {name!r}: forward returns {returned}" + (
        f" (the last {extra} for the losses; the exported model returns the others)"
        if extra else "") + ".")
    model_code = writer.write(class_name, model_doc, split.model_nodes, [split.input],
                              split.returns if len(split.returns) > 1 else split.returns[0])
    loss_args = [*split.returns, split.input] + ([split.target] if split.target else [])
    loss_code = writer.write("Loss", "The graph's loss blocks; forward returns their weighted "
                             "sum, the value to minimise.", split.loss_nodes, loss_args,
                             _weighted_sum(doc, name, split.loss_nodes, naming))
    target_spec = specs[str(split.target.target)] if split.target is not None else None
    constants = _constants(name, settings, specs[str(split.input.target)], target_spec,
                           split.unused_parameters, class_name)
    parameters = sum(p.numel() for n, p in module.named_parameters())
    body = "\n\n\n".join(part for part in (definitions, model_code.text, loss_code.text,
                                           constants, _RUNTIME.strip()) if part)
    first = source_line(doc, name, parameters).replace("Generated", "Training script generated")
    usage = _USAGE.format(recipe=settings.recipe, data=_data_doc(
        specs[str(split.input.target)], target_spec, recipe))
    return assemble(first, usage, body, _SCRIPT_IMPORTS)


def write_training_script(doc: Document, path: PathLike, network: str | None = None) -> Path:
    """Writes :func:`training_script` to ``path`` atomically; returns the path.

    Raises:
        ScriptExportError, GraphError, CodegenError: as :func:`training_script`.
        GraphFileError: the file cannot be written.
    """
    path = Path(path)
    text = training_script(doc, network)
    write_atomic(path, text.encode("utf-8"))
    return path


# --- splitting the compiled graph -------------------------------------------------------------


def _ancestors(nodes: list[fx.Node]) -> set[fx.Node]:
    seen: set[fx.Node] = set()
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack += node.all_input_nodes
    return seen


def _split(compiled: CompiledNetwork, recipe: Recipe) -> _Split:
    module, parts = compiled.module, compiled.parts
    nodes = list(module.graph.nodes)
    output = nodes[-1]
    outputs, losses = output.args[0]
    placeholders = {str(n.target): n for n in nodes if n.op == "placeholder"}
    model_inputs = [placeholders[p] for p in parts.inputs if p not in parts.targets]
    if len(model_inputs) != 1:
        raise ScriptExportError("the training script needs a network with exactly one Input "
                                f"that feeds its outputs; this one has {len(model_inputs)}")
    if not losses:
        raise ScriptExportError(f"the {recipe.name} recipe needs a loss block; this network has "
                                "none (add e.g. a cross-entropy or MSE loss)")
    targets = [placeholders[p] for p in parts.targets]
    if not recipe.takes_target and targets:
        raise ScriptExportError(f"the {recipe.name} recipe's losses read the network's own "
                                f"Input; this network has {len(targets)} target Inputs")
    if recipe.takes_target and len(targets) != 1:
        raise ScriptExportError(f"the {recipe.name} recipe needs one target Input feeding the "
                                f"losses; this network has {len(targets)}")
    model_set = _ancestors(list(outputs))
    loss_names = set(parts.losses)
    model_nodes = [n for n in nodes if n in model_set and n.op != "placeholder"]
    loss_nodes = [n for n in nodes if n.op == "call_module" and str(n.target) in loss_names]
    for node in nodes:
        if (node.op == "call_module" and node not in model_set
                and str(node.target) not in loss_names):
            raise ScriptExportError(f"block {node.target} computes from a target rather than "
                                    "from the network's Input; the training script cannot "
                                    "place it (feed targets straight into the loss blocks)")
    extras: list[fx.Node] = []
    for node in loss_nodes:
        for value in node.all_input_nodes:
            if (value in model_set and value.op != "placeholder" and value not in outputs
                    and value not in extras):
                extras.append(value)
    # Blocks whose outputs reach no loss get no gradient: DDP must be told to expect that.
    feeding = _ancestors(loss_nodes)
    unused = any(n.op == "call_module" and n not in feeding
                 and any(True for _ in module.get_submodule(str(n.target)).parameters())
                 for n in model_nodes)
    return _Split(model_nodes, loss_nodes, model_inputs[0], targets[0] if targets else None,
                  [*outputs, *extras], unused)


def _weighted_sum(doc: Document, network: str, loss_nodes: list[fx.Node],
                  naming: Naming) -> str:
    analysis = analyse(doc, doc.network(network))
    assert analysis.flat_graph is not None
    weights = {node.path: float(node.params.get("weight", 1.0))
               for node in analysis.flat_graph.nodes.values()}
    terms = []
    for node in loss_nodes:
        weight = weights.get(str(node.target), 1.0)
        variable = naming[node]
        terms.append(variable if weight == 1.0 else f"{literal(weight)} * {variable}")
    return " + ".join(terms)


# --- the settings and the data ----------------------------------------------------------------

_DTYPES = {"float32": "torch.float32", "int64": "torch.int64"}

#: The top-level names :func:`_constants` defines.
_CONSTANT_NAMES = ("NETWORK", "RECIPE", "EPOCHS", "BATCH_SIZE", "LR", "GRAD_CLIP",
                   "VALIDATION_SPLIT", "DROP_LAST", "SEED", "INPUT_SHAPE", "INPUT_DTYPE",
                   "TARGET_SHAPE", "TARGET_DTYPE", "CLASSIFYING", "FIND_UNUSED_PARAMETERS",
                   "MODEL_CLASS", "make_optimizer", "lr_factor")


def _constants(network: str, settings: TrainingSettings,
               input_spec: tuple[tuple[int, ...], str],
               target_spec: tuple[tuple[int, ...], str] | None, unused: bool,
               class_name: str) -> str:
    s = settings
    lines = [
        "# What the graph's training settings say; --epochs, --batch-size and --lr override.",
        f"NETWORK = {literal(network)}",
        f"RECIPE = {literal(s.recipe)}",
        f"EPOCHS = {literal(s.epochs)}",
        f"BATCH_SIZE = {literal(s.batch_size)}  # per process",
        f"LR = {literal(float(s.lr))}",
        f"GRAD_CLIP = {literal(float(s.grad_clip))}  # 0: no clipping",
        f"VALIDATION_SPLIT = {literal(float(s.validation_split))}  # if the data has no x_val",
        f"DROP_LAST = {literal(s.drop_last)}",
        f"SEED = {literal(s.seed)}",
        "",
        f"INPUT_SHAPE = {literal(tuple(input_spec[0]))}  # one sample, batch excluded",
        f"INPUT_DTYPE = {_DTYPES[input_spec[1]]}",
    ]
    if target_spec is None:
        lines += ["TARGET_SHAPE = None  # the losses read the input itself",
                  "TARGET_DTYPE = None"]
    else:
        lines += [f"TARGET_SHAPE = {literal(tuple(target_spec[0]))}",
                  f"TARGET_DTYPE = {_DTYPES[target_spec[1]]}"]
    lines += [
        f"CLASSIFYING = {literal(s.recipe_spec.classifies)}  # report accuracy",
        f"FIND_UNUSED_PARAMETERS = {literal(unused)}  # some blocks feed no loss",
        f"MODEL_CLASS = {pysource.name(class_name)}",
        "",
        "",
        _optimizer_code(s).rstrip(),
        "",
        "",
        _schedule_code(s).rstrip(),
    ]
    return "\n".join(lines)


def _optimizer_code(s: TrainingSettings) -> str:
    betas = literal(tuple(float(b) for b in s.betas))
    decay = literal(float(s.weight_decay))
    momentum = literal(float(s.momentum))
    call = {
        "sgd": f"torch.optim.SGD(params, lr=lr, momentum={momentum}, weight_decay={decay})",
        "adam": f"torch.optim.Adam(params, lr=lr, betas={betas}, weight_decay={decay})",
        "adamw": f"torch.optim.AdamW(params, lr=lr, betas={betas}, weight_decay={decay})",
        "rmsprop": f"torch.optim.RMSprop(params, lr=lr, momentum={momentum}, "
                   f"weight_decay={decay})",
    }[s.optimizer]
    return ("def make_optimizer(params: Iterable[nn.Parameter], lr: float"
            ") -> torch.optim.Optimizer:\n"
            + pysource.docstring(f"The {s.optimizer} optimizer of the training settings.", 4)
            + f"\n    return {call}\n")


def _schedule_code(s: TrainingSettings) -> str:
    if s.schedule == "step":
        what = f"multiplied by {literal(float(s.gamma))} every {literal(s.step_size)} epochs"
        value = f"{literal(float(s.gamma))} ** (epoch // {literal(s.step_size)})"
    elif s.schedule == "cosine":
        what = "a cosine from 1 down towards 0 over the run"
        value = "0.5 * (1.0 + math.cos(math.pi * epoch / epochs))"
    else:
        what = "constant"
        value = "1.0"
    return ("def lr_factor(epoch: int, epochs: int) -> float:\n"
            + pysource.docstring(f"The learning rate of epoch ``epoch`` (0-based) over the base: "
                                 f"{what}.", 4)
            + f"\n    return {value}\n")


def _data_doc(input_spec: tuple[tuple[int, ...], str],
              target_spec: tuple[tuple[int, ...], str] | None, recipe: Recipe) -> str:
    def shape(spec: tuple[tuple[int, ...], str]) -> str:
        return "(N" + "".join(f", {d}" for d in spec[0]) + f") {spec[1]}"

    lines = [f"    x      inputs, {shape(input_spec)}"]
    if target_spec is None:
        lines.append("    y      not needed: the losses read x itself")
    else:
        what = "class indices or one-hot rows" if recipe.classifies else "targets"
        lines.append(f"    y      {what}, {shape(target_spec)}")
    lines.append("    x_val, y_val   optional validation data of the same kinds")
    return "\n".join(lines)


_SCRIPT_IMPORTS = (
    "import argparse",
    "import gc",
    "import os",
    "from collections.abc import Iterable",
    "from pathlib import Path",
    "import numpy as np",
    "import torch",
    "import torch.distributed as dist",
    "from torch.nn.parallel import DistributedDataParallel",
    "from torch.utils.data import DataLoader, DistributedSampler, Subset, TensorDataset",
)

_USAGE = """
Recipe: {recipe}. It needs PyTorch and numpy alone.

Data: --data PATH.npz, a numpy archive (numpy.savez) holding
{data}

One process (the GPU when there is one):
    python train.py --data data.npz [--epochs N] [--batch-size B] [--lr LR] [--save w.pt]

Several processes, one per GPU (or CPU processes with the gloo backend), with
DistributedDataParallel; each process takes --batch-size samples per step:
    torchrun --nproc_per_node=4 train.py --data data.npz --save w.pt

--save writes the trained weights as a plain state_dict, which the model class loads with
load_state_dict and `netbuilder.build(doc, weights=...)` accepts.
"""

# The loop. Constants, Model/Loss, make_optimizer and lr_factor come before it in the script.
_RUNTIME = '''
def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True,
                        help="an .npz file with arrays x and y (optional x_val, y_val)")
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE,
                        help="samples per step in each process")
    parser.add_argument("--lr", type=float, default=LR, help="the base learning rate")
    parser.add_argument("--save", type=Path, help="write the trained weights (a state_dict)")
    parser.add_argument("--device", default="auto", help="auto (default), cpu, cuda or cuda:N")
    return parser.parse_args()


def as_tensor(array: np.ndarray, name: str, shape: tuple[int, ...], dtype: torch.dtype
              ) -> torch.Tensor:
    """An array of the data file as a tensor of samples of ``shape``; exits if it cannot be."""
    tensor = torch.from_numpy(np.ascontiguousarray(array))
    sample = tuple(tensor.shape[1:])
    if sample != shape:
        if tensor.ndim == 0 or tensor[0].numel() != max(1, int(np.prod(shape))):
            raise SystemExit(f"array {name} holds samples of shape {sample}; the network "
                             f"expects {shape}")
        tensor = tensor.reshape(tensor.shape[0], *shape)  # (N,) values for (N, 1) and the like
    return tensor.to(dtype)


def pair(arrays: np.lib.npyio.NpzFile, x_name: str, y_name: str) -> TensorDataset:
    x = as_tensor(arrays[x_name], x_name, INPUT_SHAPE, INPUT_DTYPE)
    if TARGET_SHAPE is None:
        return TensorDataset(x, x)  # the losses read the input itself
    if y_name not in arrays.files:
        raise SystemExit(f"the data file has {x_name} but no {y_name}")
    y = as_tensor(arrays[y_name], y_name, TARGET_SHAPE, TARGET_DTYPE)
    if len(y) != len(x):
        raise SystemExit(f"{x_name} has {len(x)} samples but {y_name} has {len(y)}")
    return TensorDataset(x, y)


def load_data(path: Path) -> tuple[TensorDataset, TensorDataset | None]:
    """The training split and the validation split (x_val/y_val or VALIDATION_SPLIT)."""
    with np.load(path, allow_pickle=False) as arrays:
        if "x" not in arrays.files:
            raise SystemExit(f"{path}: has no array x (it has {', '.join(arrays.files)})")
        train = pair(arrays, "x", "y")
        val = pair(arrays, "x_val", "y_val") if "x_val" in arrays.files else None
    if val is None and VALIDATION_SPLIT > 0:
        order = torch.randperm(len(train), generator=torch.Generator().manual_seed(SEED))
        held = int(len(train) * VALIDATION_SPLIT)
        x, y = train.tensors
        val = TensorDataset(x[order[:held]], y[order[:held]])
        train = TensorDataset(x[order[held:]], y[order[held:]])
    return train, val


def set_up(device_name: str) -> tuple[int, int, torch.device]:
    """Rank, world size and device; joins the process group when torchrun started us."""
    distributed = all(key in os.environ for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK"))
    rank = int(os.environ.get("RANK", 0))
    world = int(os.environ.get("WORLD_SIZE", 1))
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    if device_name == "auto":
        device_name = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(device_name)
    if device.type == "cuda":
        if device.index is None:
            device = torch.device("cuda", local_rank)  # one GPU per process
        torch.cuda.set_device(device)
    if distributed:
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return rank, world if distributed else 1, device


def summed(values: torch.Tensor, world: int) -> torch.Tensor:
    """Adds up per-process figures (loss sums and counts) over all processes."""
    if world > 1:
        dist.all_reduce(values, op=dist.ReduceOp.SUM)
    return values


def figures(outputs: tuple[torch.Tensor, ...], y: torch.Tensor, loss: torch.Tensor
            ) -> torch.Tensor:
    """[loss * samples, samples, correct labels, labels] of one batch, left on the device."""
    values = torch.zeros(4, dtype=torch.float64, device=loss.device)
    values[0] = loss.detach().double() * y.shape[0]
    values[1] = y.shape[0]
    if CLASSIFYING:
        predicted = outputs[0].argmax(1)
        truth = y if not y.is_floating_point() else y.argmax(1)
        values[2] = (predicted == truth).sum()
        values[3] = truth.numel()
    return values


def as_tuple(outputs: torch.Tensor | tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
    return outputs if isinstance(outputs, tuple) else (outputs,)


def loss_of(loss_fn: nn.Module, outputs: tuple[torch.Tensor, ...], x: torch.Tensor,
            y: torch.Tensor) -> torch.Tensor:
    return loss_fn(*outputs, x) if TARGET_SHAPE is None else loss_fn(*outputs, x, y)


def evaluate(model: nn.Module, loss_fn: nn.Module, data: TensorDataset, rank: int, world: int,
             batch_size: int, device: torch.device) -> torch.Tensor:
    """Validation figures over every process's share of ``data`` (no padding, no repeats)."""
    model.eval()
    share = Subset(data, range(rank, len(data), world))
    totals = torch.zeros(4, dtype=torch.float64, device=device)
    with torch.no_grad():
        for x, y in DataLoader(share, batch_size=batch_size):
            x, y = x.to(device), y.to(device)
            outputs = as_tuple(model(x))
            totals += figures(outputs, y, loss_of(loss_fn, outputs, x, y))
    model.train()
    return summed(totals, world).cpu()


def describe(prefix: str, totals: torch.Tensor) -> str:
    loss_sum, samples, correct, labels = totals.tolist()
    text = f"{prefix}loss {loss_sum / max(samples, 1):.4f}"
    if CLASSIFYING:
        text += f", {prefix}accuracy {correct / max(labels, 1):.3f}"
    return text


def save(model: nn.Module, path: Path) -> None:
    """Writes the weights atomically: a temporary file beside ``path``, then a rename."""
    temporary = path.with_name(f".{path.name}.tmp")
    torch.save(model.state_dict(), temporary)
    os.replace(temporary, path)


def main() -> None:
    args = parse_args()
    rank, world, device = set_up(args.device)
    torch.manual_seed(SEED)  # the same initial weights in every process
    train, val = load_data(args.data)
    model = MODEL_CLASS().to(device)
    loss_fn = Loss().to(device)
    net: nn.Module = model
    sampler = None
    if world > 1:
        net = DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None,
            find_unused_parameters=FIND_UNUSED_PARAMETERS)
        sampler = DistributedSampler(train, num_replicas=world, rank=rank, shuffle=True,
                                     seed=SEED, drop_last=DROP_LAST)
    loader = DataLoader(train, batch_size=args.batch_size, sampler=sampler,
                        shuffle=sampler is None, drop_last=DROP_LAST,
                        generator=torch.Generator().manual_seed(SEED) if sampler is None
                        else None)
    optimizer = make_optimizer(net.parameters(), args.lr)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda epoch: lr_factor(epoch, args.epochs))
    if rank == 0:
        print(f"training {NETWORK} ({RECIPE}) on {len(train)} samples, world size {world}, "
              f"device {device}", flush=True)
    for epoch in range(args.epochs):
        if sampler is not None:
            sampler.set_epoch(epoch)  # a different shuffle every epoch, the same in every process
        totals = torch.zeros(4, dtype=torch.float64, device=device)
        for x, y in loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            outputs = as_tuple(net(x))
            loss = loss_of(loss_fn, outputs, x, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if GRAD_CLIP > 0:
                nn.utils.clip_grad_norm_(net.parameters(), GRAD_CLIP)
            optimizer.step()
            totals += figures(outputs, y, loss)
        scheduler.step()
        totals = summed(totals, world).cpu()  # the one read-back of the epoch
        line = f"epoch {epoch + 1}/{args.epochs}: {describe('', totals)}"
        line += f" ({int(totals[1])} samples)"
        if val is not None and len(val):
            line += ", " + describe("val_", evaluate(model, loss_fn, val, rank, world,
                                                    args.batch_size, device))
        if rank == 0:
            print(line, flush=True)
    if args.save is not None and rank == 0:
        save(model, args.save)
        print(f"saved weights to {args.save}", flush=True)
    if world > 1:
        # DistributedDataParallel's reducer goes before its process group: freed later, at
        # interpreter exit, gloo's threads can abort the process after a finished run.
        del net
        gc.collect()
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
'''
