"""Mapping rules: which block each traced torch module or function call becomes.

A module rule maps one leaf module (``nn.Linear``, ``nn.LSTM``, ...) to a block whose built
torch module holds the same parameters under known names, so the weights carry over 1:1. A
function rule maps a call (``F.relu``, ``operator.add``, ``torch.cat``, ``x.view``) to a block.
A rule returns None to leave the call to the caller, which keeps an allow-listed call as a
PyTorch op block and refuses anything else.

Leaf modules that hold parameters but have no block (``nn.PReLU``, ``nn.GroupNorm``, ...) are
refused with a message naming the module and its class, rather than kept as a placeholder: a
placeholder would have to construct an arbitrary torch class from the file, which is exactly
what a .nbg must never be able to do.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import torch
from torch import fx, nn
from torch.nn import functional as F  # noqa: N812  (the name every torch user knows)

from netbuilder.compile.import_graph import Assembler, Missing, Parts, Value, Wire
from netbuilder.compile.import_trace import ModuleImportError, describe
from netbuilder.core.tensor import TensorSpec

ModuleRule = Callable[[Assembler, fx.Node, Any], "Value | None"]
FunctionRule = Callable[[Assembler, fx.Node], "Value | None"]


def _single(ctx: Assembler, node: fx.Node, type_id: str, module: nn.Module | None = None,
            prefix: str = "", **params: Any) -> Wire:
    """One block on the node's first argument, with the module's weights if given."""
    source = ctx.wire(node.args[0], node)
    name = str(node.target).replace(".", "_") if node.op == "call_module" else None
    block = ctx.block(node, type_id, [source], name=name, **params)
    if module is not None:
        ctx.copy_weights(block, module, prefix)
    return ctx.wire_of(block, node)


def _only_input_call(node: fx.Node, module: nn.Module) -> None:
    if len(node.args) != 1 or node.kwargs:
        raise ModuleImportError(f"{describe(node)}: {type(module).__name__} is called with "
                                "more than one argument, which its block does not take")


# --- module rules -------------------------------------------------------------------------


def _linear(ctx: Assembler, node: fx.Node, module: nn.Linear) -> Value:
    return _single(ctx, node, "dense", module, units=module.out_features,
                   activation="linear", bias=module.bias is not None)


def _conv_padding(node: fx.Node, module: nn.Conv1d | nn.Conv2d) -> dict[str, Any]:
    if module.padding_mode != "zeros":
        raise ModuleImportError(f"{describe(node)}: padding_mode '{module.padding_mode}' has no "
                                "block; only zero padding does")
    padding = module.padding
    if padding == "valid" or (not isinstance(padding, str) and not any(padding)):
        return {"padding": "valid"}
    if padding == "same":
        # torch's "same" (stride 1) puts the odd zero at the end, as the block's does.
        return {"padding": "same"}
    return {"padding": "explicit", "padding_size": list(padding)}


def _conv(ctx: Assembler, node: fx.Node, module: nn.Conv1d | nn.Conv2d) -> Value:
    _only_input_call(node, module)
    type_id = "conv1d" if isinstance(module, nn.Conv1d) else "conv2d"
    return _single(ctx, node, type_id, module, filters=module.out_channels,
                   kernel_size=list(module.kernel_size), stride=list(module.stride),
                   dilation=list(module.dilation), groups=module.groups,
                   activation="linear", bias=module.bias is not None,
                   **_conv_padding(node, module))


def _conv_transpose(ctx: Assembler, node: fx.Node, module: nn.ConvTranspose2d) -> Value:
    _only_input_call(node, module)
    if module.padding_mode != "zeros":
        raise ModuleImportError(f"{describe(node)}: padding_mode '{module.padding_mode}' has "
                                "no block")
    padding = list(module.padding)
    return _single(ctx, node, "conv_transpose2d", module, filters=module.out_channels,
                   kernel_size=list(module.kernel_size), stride=list(module.stride),
                   padding="explicit" if any(padding) else "valid", padding_size=padding,
                   output_padding=list(module.output_padding), dilation=list(module.dilation),
                   groups=module.groups, activation="linear", bias=module.bias is not None)


def _pool(kind: str, rank: int) -> ModuleRule:
    def rule(ctx: Assembler, node: fx.Node, module: nn.Module) -> Value:
        size = _ints(module.kernel_size, rank)
        stride = _ints(module.stride or module.kernel_size, rank)
        padding = _ints(module.padding, rank)
        dilation = _ints(getattr(module, "dilation", 1), rank)
        extra = getattr(module, "divisor_override", None) is not None
        if any(padding) or any(d != 1 for d in dilation) or module.ceil_mode or extra:
            return _functional_pool(ctx, node, module, kind, rank)
        return _single(ctx, node, f"{kind}pool{rank}d", pool_size=list(size),
                       stride=list(stride), padding="valid")

    return rule


def _functional_pool(ctx: Assembler, node: fx.Node, module: nn.Module, kind: str,
                     rank: int) -> Value:
    # Padded or ceil-mode pooling has no block: the functional form calls the same kernel.
    source = node.args[0]
    if kind == "max":
        args = [source, module.kernel_size, module.stride, module.padding, module.dilation,
                module.ceil_mode]
    else:
        args = [source, module.kernel_size, module.stride, module.padding, module.ceil_mode,
                module.count_include_pad]
        if rank == 2:
            args.append(module.divisor_override)
    return _as_function(ctx, node, f"F.{kind}_pool{rank}d", args)


def _as_function(ctx: Assembler, node: fx.Node, function: str, args: list[Any],
                 kwargs: dict[str, Any] | None = None) -> Value:
    """A parameter-free module kept as a PyTorch op block calling its functional form."""
    stand_in = _StandIn(node, args, kwargs or {})
    return ctx.placeholder(stand_in, function)  # type: ignore[arg-type]


class _StandIn:
    """Looks like the fx node of a functional call, for :meth:`Assembler.placeholder`."""

    def __init__(self, node: fx.Node, args: list[Any], kwargs: dict[str, Any]) -> None:
        self.name = node.name
        self.op = node.op
        self.target = node.target
        self.args = tuple(args)
        self.kwargs = kwargs


def _ints(value: Any, rank: int) -> tuple[int, ...]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * rank


def _adaptive(ctx: Assembler, node: fx.Node, module: nn.Module) -> Value | None:
    size = module.output_size
    if size is None or (isinstance(size, tuple) and None in size):
        return _as_function(ctx, node, "F.adaptive_avg_pool"
                            f"{1 if isinstance(module, nn.AdaptiveAvgPool1d) else 2}d",
                            [node.args[0], size])
    return _single(ctx, node, "adaptive_avg_pool",
                   output_size=list(size) if isinstance(size, tuple) else size)


def _batchnorm(ctx: Assembler, node: fx.Node, module: nn.modules.batchnorm._BatchNorm) -> Value:
    if not module.track_running_stats:
        raise ModuleImportError(f"{describe(node)}: {type(module).__name__} without running "
                                "statistics has no block")
    momentum = module.momentum
    if momentum is None:
        ctx.warn(node, "uses a cumulative moving average (momentum=None); the BatchNorm block "
                       "uses momentum 0.1 when training")
        momentum = 0.1
    return _single(ctx, node, "batchnorm", module, momentum=momentum, eps=module.eps,
                   affine=module.affine)


def _layernorm(ctx: Assembler, node: fx.Node, module: nn.LayerNorm) -> Value:
    if module.elementwise_affine and module.bias is None:
        raise ModuleImportError(f"{describe(node)}: LayerNorm(bias=False) has no block (the "
                                "LayerNorm block learns a scale and a shift)")
    return _single(ctx, node, "layernorm", module, axes=len(module.normalized_shape),
                   eps=module.eps, affine=module.elementwise_affine)


def _dropout(ctx: Assembler, node: fx.Node, module: nn.Dropout) -> Value:
    return _single(ctx, node, "dropout", rate=module.p)


def _activation(type_id: str) -> ModuleRule:
    def rule(ctx: Assembler, node: fx.Node, module: nn.Module) -> Value:
        return _single(ctx, node, type_id)

    return rule


def _gelu(ctx: Assembler, node: fx.Node, module: nn.GELU) -> Value:
    if module.approximate != "none":
        return _as_function(ctx, node, "F.gelu", [node.args[0]],
                            {"approximate": module.approximate})
    return _single(ctx, node, "gelu")


def _leaky(ctx: Assembler, node: fx.Node, module: nn.LeakyReLU) -> Value:
    if not 0.0 <= module.negative_slope <= 1.0:
        return _as_function(ctx, node, "F.leaky_relu", [node.args[0], module.negative_slope])
    return _single(ctx, node, "leaky_relu", slope=module.negative_slope)


def _softmax_module(type_id: str) -> ModuleRule:
    def rule(ctx: Assembler, node: fx.Node, module: nn.Module) -> Value | None:
        return _softmax_block(ctx, node, type_id, module.dim)

    return rule


def _softmax_block(ctx: Assembler, node: fx.Node, type_id: str, dim: Any) -> Value | None:
    if not isinstance(dim, int) or dim == 0:
        return None
    axis = dim - 1 if dim > 0 else dim
    if not -8 <= axis <= 7:
        return None
    return _single(ctx, node, type_id, axis=axis)


def _identity(ctx: Assembler, node: fx.Node, module: nn.Identity) -> Value:
    return ctx.wire(node.args[0], node)


def _flatten_module(ctx: Assembler, node: fx.Node, module: nn.Flatten) -> Value:
    if (module.start_dim, module.end_dim) == (1, -1):
        return _single(ctx, node, "flatten")
    return _as_function(ctx, node, "Tensor.flatten", [node.args[0], module.start_dim,
                                                       module.end_dim])


def _embedding(ctx: Assembler, node: fx.Node, module: nn.Embedding) -> Value:
    if module.max_norm is not None:
        raise ModuleImportError(f"{describe(node)}: Embedding(max_norm=...) renormalises its "
                                "weights while running; the Embedding block does not")
    return _single(ctx, node, "embedding", module, vocab_size=module.num_embeddings,
                   dim=module.embedding_dim)


_RECURRENT = {nn.LSTM: "lstm", nn.GRU: "gru", nn.RNN: "simple_rnn"}


def _recurrent(ctx: Assembler, node: fx.Node, module: nn.RNNBase) -> Value:
    kind = type(module).__name__
    if len(node.args) != 1 or node.kwargs:
        raise ModuleImportError(f"{describe(node)}: {kind} is given an initial state; the "
                                f"{kind} block always starts from zeros")
    problems = []
    if not module.batch_first:
        problems.append("batch_first=False (netbuilder sequences are batch first)")
    if not module.bias:
        problems.append("bias=False")
    if getattr(module, "proj_size", 0):
        problems.append("proj_size")
    if problems:
        raise ModuleImportError(f"{describe(node)}: {kind} with {', '.join(problems)} has no "
                                "block")
    extra = {"activation": module.nonlinearity} if isinstance(module, nn.RNN) else {}
    source = ctx.wire(node.args[0], node)
    block = ctx.block(node, _RECURRENT[type(module)], [source],
                      name=str(node.target).replace(".", "_"), units=module.hidden_size,
                      layers=module.num_layers, bidirectional=module.bidirectional,
                      return_sequences=True, dropout=module.dropout, **extra)
    ctx.copy_weights(block, module, "rnn.")
    first, _ = ctx.recorded(node)
    steps = first[0]
    spec = TensorSpec(tuple(steps.shape[1:]))
    hidden = Missing(f"is the final hidden state of {kind} '{node.target}', which the {kind} "
                     "block does not return; read the last step of its output instead "
                     "(out[:, -1])")
    return Parts((Wire(block, "y", spec), hidden))


_ATTENTION_OPTIONS = ("key_padding_mask", "need_weights", "attn_mask", "average_attn_weights",
                      "is_causal")


def _attention(ctx: Assembler, node: fx.Node, module: nn.MultiheadAttention) -> Value:
    query, key, value = (ctx.arg(node, i, n) for i, n in enumerate(("query", "key", "value")))
    extras = dict(zip(_ATTENTION_OPTIONS, node.args[3:], strict=False))
    extras.update({k: v for k, v in node.kwargs.items() if k not in ("query", "key", "value")})
    # Weights are computed either way (and their output refused if used); None and False
    # are the defaults of the masks and of is_causal.
    extras = {k: v for k, v in extras.items()
              if k not in ("need_weights", "average_attn_weights") and v not in (None, False)}
    if extras or not module.batch_first or module.bias_k is not None or module.add_zero_attn:
        raise ModuleImportError(
            f"{describe(node)}: only batch-first MultiheadAttention without masks, bias_k/v "
            f"or zero attention maps to a block (it is given {', '.join(sorted(extras))})"
            if extras else f"{describe(node)}: only batch-first MultiheadAttention without "
            "bias_k/v or zero attention maps to a block")
    if key is not value:
        raise ModuleImportError(f"{describe(node)}: keys and values from different tensors "
                                "have no block (the block takes them from one context)")
    cross = query is not key
    sources = [ctx.wire(query, node)] + ([ctx.wire(key, node)] if cross else [])
    has_bias = module.in_proj_bias is not None
    block = ctx.block(node, "multi_head_attention", sources,
                      name=str(node.target).replace(".", "_"),
                      mode="cross" if cross else "self", heads=module.num_heads,
                      dropout=module.dropout, bias=has_bias, causal=False)
    ctx.copy_weights(block, module, "attention.")
    spec = sources[0].spec
    weights = Missing(f"is the head-averaged attention weights of '{node.target}'; the block's "
                      "weights output keeps every head")
    return Parts((Wire(block, "y", spec), weights))


def _encoder_layer(ctx: Assembler, node: fx.Node, module: nn.TransformerEncoderLayer
                   ) -> Value:
    _only_input_call(node, module)
    return _single(ctx, node, "transformer_encoder_layer", module,
                   **_encoder_layer_params(node, module))


def _encoder_layer_params(node: fx.Node, module: nn.Module) -> dict[str, Any]:
    """The Transformer Encoder Layer block's params for ``module``; refuses what it lacks."""
    if type(module) is not nn.TransformerEncoderLayer:
        raise ModuleImportError(f"{describe(node)}: a layer of class {type(module).__name__} "
                                "has no block (only nn.TransformerEncoderLayer has)")
    activation = module.activation
    name = {F.relu: "relu", F.gelu: "gelu"}.get(activation)
    if isinstance(activation, nn.ReLU):
        name = "relu"
    elif isinstance(activation, nn.GELU) and activation.approximate == "none":
        name = "gelu"
    attention = module.self_attn
    if (name is None or not attention.batch_first or module.norm1.eps != 1e-5
            or attention.in_proj_bias is None):
        raise ModuleImportError(f"{describe(node)}: only a batch-first TransformerEncoderLayer "
                                "with relu or gelu, biases and eps 1e-5 maps to a block")
    return {"heads": attention.num_heads, "ff_dim": module.linear1.out_features,
            "dropout": module.dropout.p, "activation": name, "norm_first": module.norm_first}


def _encoder(ctx: Assembler, node: fx.Node, module: nn.TransformerEncoder) -> Value:
    """A Transformer encoder as its layers, one block each, then its final LayerNorm if any.

    The blocks are named after the module's own paths (``encoder_layers_0``), with each
    layer's weights; masks have no block, so a call that passes one is refused.
    """
    _only_input_call(node, module)
    wire = ctx.wire(node.args[0], node)
    base = str(node.target).replace(".", "_")
    for index, layer in enumerate(module.layers):
        block = ctx.block(node, "transformer_encoder_layer", [wire], name=f"{base}_layers_{index}",
                          **_encoder_layer_params(node, layer))
        ctx.copy_weights(block, layer)
        wire = Wire(block, "y", wire.spec)
    norm = module.norm
    if norm is not None:
        if not isinstance(norm, nn.LayerNorm) or (norm.elementwise_affine and norm.bias is None):
            raise ModuleImportError(f"{describe(node)}: the encoder's final norm "
                                    f"({type(norm).__name__}) has no block; only a LayerNorm "
                                    "with a scale and a shift has")
        block = ctx.block(node, "layernorm", [wire], name=f"{base}_norm",
                          axes=len(norm.normalized_shape), eps=norm.eps,
                          affine=norm.elementwise_affine)
        ctx.copy_weights(block, norm)
        wire = Wire(block, "y", wire.spec)
    return ctx.wire_of(wire.node, node)


def _parameter_free(function: str, *attributes: str) -> ModuleRule:
    """A parameter-free module kept as its functional form with its settings as arguments."""
    def rule(ctx: Assembler, node: fx.Node, module: nn.Module) -> Value:
        _only_input_call(node, module)
        kwargs = {name: getattr(module, name) for name in attributes}
        return _as_function(ctx, node, function, [node.args[0]], kwargs)

    return rule


MODULE_RULES: dict[type, ModuleRule] = {
    nn.Linear: _linear,
    nn.Conv1d: _conv,
    nn.Conv2d: _conv,
    nn.ConvTranspose2d: _conv_transpose,
    nn.MaxPool1d: _pool("max", 1),
    nn.MaxPool2d: _pool("max", 2),
    nn.AvgPool1d: _pool("avg", 1),
    nn.AvgPool2d: _pool("avg", 2),
    nn.AdaptiveAvgPool1d: _adaptive,
    nn.AdaptiveAvgPool2d: _adaptive,
    nn.BatchNorm1d: _batchnorm,
    nn.BatchNorm2d: _batchnorm,
    nn.BatchNorm3d: _batchnorm,
    nn.LayerNorm: _layernorm,
    nn.Dropout: _dropout,
    nn.ReLU: _activation("relu"),
    nn.Sigmoid: _activation("sigmoid"),
    nn.Tanh: _activation("tanh"),
    nn.GELU: _gelu,
    nn.LeakyReLU: _leaky,
    nn.Softmax: _softmax_module("softmax"),
    nn.LogSoftmax: _softmax_module("log_softmax"),
    nn.Identity: _identity,
    nn.Flatten: _flatten_module,
    nn.Embedding: _embedding,
    nn.LSTM: _recurrent,
    nn.GRU: _recurrent,
    nn.RNN: _recurrent,
    nn.MultiheadAttention: _attention,
    nn.TransformerEncoderLayer: _encoder_layer,
    nn.TransformerEncoder: _encoder,
    nn.SiLU: _parameter_free("F.silu"),
    nn.ELU: _parameter_free("F.elu", "alpha"),
    nn.SELU: _parameter_free("F.selu"),
    nn.ReLU6: _parameter_free("F.relu6"),
    nn.Hardswish: _parameter_free("F.hardswish"),
    nn.Hardsigmoid: _parameter_free("F.hardsigmoid"),
    nn.Mish: _parameter_free("F.mish"),
    nn.Softplus: _parameter_free("F.softplus", "beta", "threshold"),
    nn.Hardtanh: _parameter_free("F.hardtanh", "min_val", "max_val"),
    nn.Upsample: _parameter_free("F.interpolate", "size", "scale_factor", "mode",
                                 "align_corners"),
}


def map_module(ctx: Assembler, node: fx.Node, module: nn.Module) -> Value:
    """The value of a ``call_module`` node; refuses a module no rule knows, naming it."""
    rule = MODULE_RULES.get(type(module))
    if rule is not None:
        found = rule(ctx, node, module)
        if found is not None:
            return found
    held = sum(1 for _ in module.parameters()) + sum(1 for _ in module.buffers())
    what = "holds weights but has no netbuilder block" if held else "has no netbuilder block"
    raise ModuleImportError(f"module '{node.target}' ({type(module).__module__}."
                            f"{type(module).__name__}) {what}; replace it with supported "
                            "layers, or write its computation with allow-listed torch "
                            "functions in forward()")


# --- function rules -----------------------------------------------------------------------


def _unary(type_id: str) -> FunctionRule:
    def rule(ctx: Assembler, node: fx.Node) -> Value | None:
        if len(node.args) != 1 or any(k != "inplace" for k in node.kwargs):
            return None
        return _single(ctx, node, type_id)

    return rule


def _gelu_call(ctx: Assembler, node: fx.Node) -> Value | None:
    if len(node.args) != 1 or node.kwargs.get("approximate", "none") != "none":
        return None
    return _single(ctx, node, "gelu")


def _leaky_call(ctx: Assembler, node: fx.Node) -> Value | None:
    slope = ctx.arg(node, 1, "negative_slope", 0.01)
    if not isinstance(slope, float) or not 0.0 <= slope <= 1.0:
        return None
    return _single(ctx, node, "leaky_relu", slope=slope)


def _softmax_call(type_id: str) -> FunctionRule:
    def rule(ctx: Assembler, node: fx.Node) -> Value | None:
        # fx writes F.softmax's defaults out (_stacklevel=3, dtype=None); only dtype matters.
        if ctx.arg(node, 3, "dtype") is not None:
            return None
        return _softmax_block(ctx, node, type_id, ctx.arg(node, 1, "dim"))

    return rule


def _merge(type_id: str) -> FunctionRule:
    def rule(ctx: Assembler, node: fx.Node) -> Value | None:
        if len(node.args) != 2 or node.kwargs:
            return None
        first, second = (ctx.value(arg, node) for arg in node.args)
        if not (isinstance(first, Wire) and isinstance(second, Wire)):
            return None
        if first.spec != second.spec or first.spec.dtype != "float32":
            return None  # broadcasting: kept as a PyTorch op
        block = ctx.block(node, type_id, [first, second])
        return ctx.wire_of(block, node)

    return rule


def _cat(ctx: Assembler, node: fx.Node) -> Value | None:
    tensors = ctx.arg(node, 0, "tensors")
    dim = ctx.arg(node, 1, "dim", 0)
    if not isinstance(tensors, (list, tuple)) or not isinstance(dim, int) or dim == 0:
        return None
    wires = [ctx.value(arg, node) for arg in tensors]
    if not 2 <= len(wires) <= 8 or not all(isinstance(w, Wire) for w in wires):
        return None
    axis = dim - 1 if dim > 0 else dim
    block = ctx.block(node, "concatenate", wires, inputs=len(wires),  # type: ignore[arg-type]
                      axis=axis)
    return ctx.wire_of(block, node)


def _reshape(ctx: Assembler, node: fx.Node) -> Value | None:
    """flatten / view / reshape: a Flatten block, or a Reshape block to the recorded shape."""
    source = ctx.value(node.args[0], node)
    if not isinstance(source, Wire):
        return None
    (out,) = ctx.output_specs(node)
    if out.shape == (source.spec.size,):
        return _single(ctx, node, "flatten")
    if not out.shape or len(out.shape) > 16:
        return None
    return _single(ctx, node, "reshape", shape=list(out.shape))


def _permute(ctx: Assembler, node: fx.Node) -> Value | None:
    source = ctx.value(node.args[0], node)
    if not isinstance(source, Wire):
        return None
    rank = source.spec.rank + 1
    if node.target in ("transpose",) or node.target is torch.transpose:
        a, b = ctx.arg(node, 1, "dim0"), ctx.arg(node, 2, "dim1")
        if not (isinstance(a, int) and isinstance(b, int)):
            return None
        dims = list(range(rank))
        dims[a % rank], dims[b % rank] = dims[b % rank], dims[a % rank]
    else:
        # Any: an fx argument of any form, checked below before it is used.
        raw: Any = node.args[1:] if node.op == "call_method" else ctx.arg(node, 1, "dims")
        if node.op == "call_method" and len(raw) == 1 and isinstance(raw[0], (list, tuple)):
            raw = raw[0]
        if not isinstance(raw, (list, tuple)) or not all(isinstance(d, int) for d in raw):
            return None
        dims = [d % rank for d in raw]
    if len(dims) != rank or dims[0] != 0 or len(dims) < 2:
        return None
    return _single(ctx, node, "permute", dims=dims[1:])


def _getitem(ctx: Assembler, node: fx.Node) -> Value | None:
    container = ctx.value(node.args[0], node)
    index = node.args[1]
    if isinstance(container, Parts) and isinstance(index, int):
        return container.items[index]
    if isinstance(container, Wire) and _is_last_step(node, container):
        # out[:, -1] right after a one-way recurrent layer: its last step is what the block
        # returns without return_sequences, so no PyTorch op is needed.
        container.node.params["return_sequences"] = False
        return ctx.wire_of(container.node, node)
    return None


_LAST_STEP = (slice(None, None, None), -1)


def _is_last_step(node: fx.Node, container: Wire) -> bool:
    """True for ``out[:, -1]`` where ``out`` is a one-way recurrent layer's only use."""
    block = container.node
    if block.type not in _RECURRENT.values() or block.params["bidirectional"]:
        return False
    if node.args[1] != _LAST_STEP or not block.params["return_sequences"]:
        return False
    sequence = node.args[0]
    if not isinstance(sequence, fx.Node) or len(sequence.users) != 1:
        return False
    if sequence.op == "call_module":
        return True
    # out, _ = lstm(x): the sequence is getitem(lstm, 0), the layer's only use of index 0.
    layer = sequence.args[0] if sequence.target is operator.getitem else None
    if not isinstance(layer, fx.Node) or layer.op != "call_module":
        return False
    firsts = [u for u in layer.users if u.target is operator.getitem and u.args[1] == 0]
    return firsts == [sequence]


def _mean_call(ctx: Assembler, node: fx.Node) -> Value | None:
    """``x.mean((2, 3))`` / ``torch.mean(x, dim=[-2, -1])``: a Global Average Pool block.

    A mean over every axis after the channels is the block's spatial mode, and a mean over
    the steps of a (batch, steps, features) tensor its sequence mode. Unlike a PyTorch op
    block, the block follows the input's size and counts its multiply-adds.
    """
    source = ctx.value(node.args[0], node) if node.args else None
    dims = ctx.arg(node, 1, "dim")
    keepdim = ctx.arg(node, 2, "keepdim", False)
    if (not isinstance(source, Wire) or keepdim is not False or source.spec.dtype != "float32"
            or ctx.arg(node, 3, "dtype") is not None):
        return None
    over = _mean_mode(dims, source.spec.rank + 1)
    return None if over is None else _single(ctx, node, "global_avg_pool", over=over)


def _mean_mode(dims: Any, rank: int) -> str | None:
    """``"spatial"`` or ``"sequence"`` if a mean over ``dims`` of a ``rank``-D tensor (the
    batch included) is one of the Global Average Pool's modes; None otherwise."""
    listed = [dims] if isinstance(dims, int) else dims
    if not isinstance(listed, (list, tuple)) or not listed \
            or not all(isinstance(d, int) and not isinstance(d, bool) and -rank <= d < rank
                       for d in listed):
        return None
    axes = sorted(d % rank for d in listed)
    if rank >= 3 and axes == list(range(2, rank)):
        return "spatial"
    if rank == 3 and axes == [1]:
        return "sequence"
    return None


def _dropout_call(ctx: Assembler, node: fx.Node) -> Value | None:
    rate = ctx.arg(node, 1, "p", 0.5)
    if node.kwargs.get("inplace") or not isinstance(rate, float) or not 0 <= rate <= 0.99:
        return None
    ctx.warn(node, "became a Dropout block, which drops values whenever the network trains "
                   "(F.dropout follows its training argument)")
    return _single(ctx, node, "dropout", rate=rate)


FUNCTION_RULES: dict[Any, FunctionRule] = {
    torch.relu: _unary("relu"), F.relu: _unary("relu"), "relu": _unary("relu"),
    torch.sigmoid: _unary("sigmoid"), F.sigmoid: _unary("sigmoid"),
    "sigmoid": _unary("sigmoid"),
    torch.tanh: _unary("tanh"), F.tanh: _unary("tanh"), "tanh": _unary("tanh"),
    F.gelu: _gelu_call,
    F.leaky_relu: _leaky_call,
    torch.softmax: _softmax_call("softmax"), F.softmax: _softmax_call("softmax"),
    "softmax": _softmax_call("softmax"),
    torch.log_softmax: _softmax_call("log_softmax"),
    F.log_softmax: _softmax_call("log_softmax"), "log_softmax": _softmax_call("log_softmax"),
    operator.add: _merge("add"), torch.add: _merge("add"), "add": _merge("add"),
    operator.mul: _merge("multiply"), torch.mul: _merge("multiply"),
    "mul": _merge("multiply"),
    torch.cat: _cat,
    torch.flatten: _reshape, "flatten": _reshape, "view": _reshape, "reshape": _reshape,
    torch.reshape: _reshape,
    torch.permute: _permute, "permute": _permute, torch.transpose: _permute,
    "transpose": _permute,
    operator.getitem: _getitem,
    F.dropout: _dropout_call,
    torch.mean: _mean_call, "mean": _mean_call,
}


def map_function(ctx: Assembler, node: fx.Node) -> Value | None:
    """The value of a ``call_function`` / ``call_method`` node, or None if no rule maps it."""
    try:
        rule = FUNCTION_RULES.get(node.target)
    except TypeError:  # an unhashable target
        rule = None
    return None if rule is None else rule(ctx, node)


__all__ = ["FUNCTION_RULES", "MODULE_RULES", "map_function", "map_module"]
