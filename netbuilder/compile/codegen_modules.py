"""How each built block reads as PyTorch code: its constructor and the line that calls it.

:func:`render_module` looks at a module that a block's build function returned and says

- what ``__init__`` assigns (``nn.Conv2d(1, 32, kernel_size=3)``), with the arguments read back
  from the module itself, so sizes are exactly those the compiler used;
- the statements ``forward`` runs (``conv1 = torch.relu(self.conv1(image))``);
- which of netbuilder's own classes the file must define (copied in as source).

netbuilder's layers that only add an activation or an asymmetric pad to a torch layer
(``Dense``, ``Conv2d``) are written as the torch layer plus that step in ``forward``: the
weights sit at the same keys. Blocks without weights that one expression says better (Add,
Reshape, Concatenate, Sampling) need no attribute at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from torch import nn

from netbuilder.blocks import modules as nb
from netbuilder.blocks import torch_conv, torch_sequence
from netbuilder.compile.block_code import BlockCode, UnsupportedModuleError
from netbuilder.compile.codegen_torch_op import render_torch_op
from netbuilder.compile.pysource import UnsafeCodeError, literal

#: (target variable, expression) -> statements. An activation applied to an expression.
Activation = Callable[[str, str], list[str]]


# --- values -------------------------------------------------------------------------------
# Every number, flag and text read back from a module goes through ``literal``
# (netbuilder.compile.pysource), so nothing from a graph file reaches the code unchecked.


def _size(value: Any) -> Any:
    """A tuple of equal sizes as the one number torch accepts for it: (3, 3) -> 3."""
    if isinstance(value, tuple | list) and value and all(v == value[0] for v in value):
        return value[0]
    return value


def call(name: str, args: Sequence[Any] = (),
         options: Sequence[tuple[str, Any, Any]] = ()) -> str:
    """``name(args..., key=value...)``, leaving out options equal to their default."""
    parts = [literal(a) for a in args]
    parts += [f"{key}={literal(value)}" for key, value, default in options if value != default]
    return f"{name}({', '.join(parts)})"


#: A default no value equals: the option is always written.
ALWAYS = object()


def keywords(name: str, first: Any, **options: Any) -> str:
    """``name(first, key=value, ...)`` with every option written (copied classes)."""
    return call(name, [first], [(key, value, ALWAYS) for key, value in options.items()])


def _assign(expression: Callable[[Sequence[str]], str]
            ) -> Callable[[str, str, Sequence[str]], list[str]]:
    """Statements for a block whose forward is one expression of its argument variables."""
    def statements(targets: str, _attribute: str, args: Sequence[str]) -> list[str]:
        return [f"{targets} = {expression(args)}"]

    return statements


def _module_call(targets: str, attribute: str, args: Sequence[str]) -> list[str]:
    return [f"{targets} = {attribute}({', '.join(args)})"]


# --- activations ----------------------------------------------------------------------------


def activation_code(module: nn.Module) -> Activation:
    """How a Dense or convolution layer's activation submodule reads in ``forward``."""
    def wrap(template: str) -> Activation:
        # Only the expression goes in: the literals were written before, so no "{" of theirs
        # can be taken for a field.
        before, _, after = template.partition("{}")
        return lambda target, expr: [f"{target} = {before}{expr}{after}"]

    kind = type(module)
    if kind is nn.Identity:
        return wrap("{}")
    if kind is nn.ReLU:
        return wrap("torch.relu({})")
    if kind is nn.Sigmoid:
        return wrap("torch.sigmoid({})")
    if kind is nn.Tanh:
        return wrap("torch.tanh({})")
    if isinstance(module, nn.LeakyReLU):
        return wrap("F.leaky_relu({}, " + literal(module.negative_slope) + ")")
    if isinstance(module, nn.GELU):
        extra = "" if module.approximate == "none" else (
            ", approximate=" + literal(module.approximate))
        return wrap("F.gelu({}" + extra + ")")
    if isinstance(module, nn.Softmax | nn.LogSoftmax):
        name = "softmax" if isinstance(module, nn.Softmax) else "log_softmax"
        return wrap(f"torch.{name}({{}}, dim=" + literal(module.dim) + ")")
    if kind is nb.Step or kind is nb.Sign:
        # Both read their input twice: name it first.
        rule = _step if kind is nb.Step else _sign
        return lambda t, e: [f"{t} = {e}", f"{t} = {rule(t)}"]
    raise UnsupportedModuleError(f"the activation {kind.__name__} has no code form")


def _step(x: str) -> str:
    return f"({x} >= 0).to({x}.dtype)"


def _sign(x: str) -> str:
    return f"torch.where({x} >= 0, torch.ones_like({x}), -torch.ones_like({x}))"


def _activation_block(module: nn.Module) -> BlockCode:
    """An activation block of its own: ``nn.ReLU()`` etc.; Step and Sign as expressions."""
    if isinstance(module, nb.Step | nb.Sign):
        rule = _step if isinstance(module, nb.Step) else _sign
        return BlockCode(None, lambda targets, _m, args: [f"{targets} = {rule(args[0])}"])
    return BlockCode(repr_ctor(module), _module_call)


def repr_ctor(module: nn.Module) -> str:
    """Constructors of the stateless activations, from their attributes."""
    kind = type(module)
    if kind in (nn.Identity, nn.ReLU, nn.Sigmoid, nn.Tanh):
        return f"nn.{kind.__name__}()"
    if isinstance(module, nn.LeakyReLU):
        return call("nn.LeakyReLU", [module.negative_slope])
    if isinstance(module, nn.GELU):
        return call("nn.GELU", options=[("approximate", module.approximate, "none")])
    if isinstance(module, nn.Softmax | nn.LogSoftmax):
        return call(f"nn.{kind.__name__}", options=[("dim", module.dim, None)])
    raise UnsupportedModuleError(f"{kind.__name__} has no code form")


# --- layers with weights --------------------------------------------------------------------


def _dense(module: nb.Dense) -> BlockCode:
    init = call("nn.Linear", [module.in_features, module.out_features],
                [("bias", module.bias is not None, True)])
    act = activation_code(module.activation)

    def statements(targets: str, attribute: str, args: Sequence[str]) -> list[str]:
        return act(targets, f"{attribute}({args[0]})")

    return BlockCode(init, statements)


def _conv(module: torch_conv.Conv1d | torch_conv.Conv2d) -> BlockCode:
    name = "nn.Conv1d" if isinstance(module, torch_conv.Conv1d) else "nn.Conv2d"
    init = call(name, [module.in_channels, module.out_channels], [
        ("kernel_size", _size(module.kernel_size), None),
        ("stride", _size(module.stride), 1),
        ("padding", _size(module.padding), 0),
        ("dilation", _size(module.dilation), 1),
        ("groups", module.groups, 1),
        ("bias", module.bias is not None, True),
    ])
    act = activation_code(module.activation)
    pairs: list[int] = []
    for amount in reversed(module.extra):
        pairs += [0, amount]

    def statements(targets: str, attribute: str, args: Sequence[str]) -> list[str]:
        x = args[0]
        if any(module.extra):
            # "same" padding that needs one more element at the end than at the start.
            x = f"F.pad({x}, {literal(pairs)})"
        return act(targets, f"{attribute}({x})")

    return BlockCode(init, statements)


def _conv_transpose(module: torch_conv.ConvTranspose2d) -> BlockCode:
    init = call("nn.ConvTranspose2d", [module.in_channels, module.out_channels], [
        ("kernel_size", _size(module.kernel_size), None),
        ("stride", _size(module.stride), 1),
        ("padding", _size(module.padding), 0),
        ("output_padding", _size(module.output_padding), 0),
        ("groups", module.groups, 1),
        ("bias", module.bias is not None, True),
        ("dilation", _size(module.dilation), 1),
    ])
    act = activation_code(module.activation)
    trim = ", ".join(f":-{literal(t)}" if t else ":" for t in module.trim)

    def statements(targets: str, attribute: str, args: Sequence[str]) -> list[str]:
        expr = f"{attribute}({args[0]})"
        if any(module.trim):
            # "same" padding crops the rest of the overhang at the end.
            expr = f"{expr}[..., {trim}]"
        return act(targets, expr)

    return BlockCode(init, statements)


def _batchnorm(module: nn.modules.batchnorm._BatchNorm) -> BlockCode:
    return BlockCode(call(f"nn.{type(module).__name__}", [module.num_features], [
        ("eps", module.eps, 1e-5),
        ("momentum", module.momentum, 0.1),
        ("affine", module.affine, True),
        ("track_running_stats", module.track_running_stats, True),
    ]), _module_call)


def _layernorm(module: nn.LayerNorm) -> BlockCode:
    shape = tuple(module.normalized_shape)
    return BlockCode(call("nn.LayerNorm", [shape[0] if len(shape) == 1 else shape], [
        ("eps", module.eps, 1e-5),
        ("elementwise_affine", module.elementwise_affine, True),
        ("bias", module.bias is not None or not module.elementwise_affine, True),
    ]), _module_call)


def _embedding(module: nn.Embedding) -> BlockCode:
    return BlockCode(call("nn.Embedding", [module.num_embeddings, module.embedding_dim], [
        ("padding_idx", module.padding_idx, None),
        ("max_norm", module.max_norm, None),
    ]), _module_call)


def _encoder_layer(module: nn.TransformerEncoderLayer) -> BlockCode:
    attention = module.self_attn
    activation = {1: "relu", 2: "gelu"}.get(getattr(module, "activation_relu_or_gelu", 0))
    if activation is None:
        raise UnsupportedModuleError("a TransformerEncoderLayer with a custom activation")
    return BlockCode(call("nn.TransformerEncoderLayer", [attention.embed_dim,
                                                         attention.num_heads], [
        ("dim_feedforward", module.linear1.out_features, 2048),
        ("dropout", module.dropout.p, 0.1),
        ("activation", activation, "relu"),
        ("layer_norm_eps", module.norm1.eps, 1e-5),
        ("batch_first", attention.batch_first, False),
        ("norm_first", module.norm_first, False),
        ("bias", module.linear1.bias is not None, True),
    ]), _module_call)


def _pool(module: nn.Module) -> BlockCode:
    name = type(module).__name__
    kernel = _size(module.kernel_size)
    options = [("stride", _size(module.stride), kernel), ("padding", _size(module.padding), 0)]
    if isinstance(module, nn.MaxPool1d | nn.MaxPool2d):
        options += [("dilation", _size(module.dilation), 1),
                    ("ceil_mode", module.ceil_mode, False)]
    else:
        options += [("ceil_mode", module.ceil_mode, False),
                    ("count_include_pad", module.count_include_pad, True)]
    return BlockCode(call(f"nn.{name}", [kernel], options), _module_call)


def _adaptive(module: nn.AdaptiveAvgPool1d | nn.AdaptiveAvgPool2d) -> BlockCode:
    return BlockCode(call(f"nn.{type(module).__name__}", [_size(module.output_size)]),
                     _module_call)


# --- netbuilder classes copied in as source -------------------------------------------------


def _recurrent(module: torch_sequence.Recurrent) -> BlockCode:
    rnn = module.rnn
    cell = {nn.RNN: "rnn", nn.LSTM: "lstm", nn.GRU: "gru"}[type(rnn)]
    options = {"nonlinearity": rnn.nonlinearity} if cell == "rnn" else {}
    init = keywords("Recurrent", cell, input_size=rnn.input_size, units=rnn.hidden_size,
                    layers=rnn.num_layers, bidirectional=rnn.bidirectional,
                    return_sequences=module.return_sequences, dropout=rnn.dropout, **options)
    return BlockCode(init, _module_call, (torch_sequence.Recurrent,))


def _attention(module: torch_sequence.MultiHeadAttention) -> BlockCode:
    inner = module.attention
    init = keywords("MultiHeadAttention", inner.embed_dim, heads=inner.num_heads,
                    dropout=inner.dropout, bias=inner.in_proj_bias is not None,
                    context_dim=inner.kdim, causal=module.causal)
    return BlockCode(init, _module_call, (torch_sequence.MultiHeadAttention,))


def _positional(module: nb.PositionalEncoding) -> BlockCode:
    length, d_model = module.table.shape
    init = keywords("PositionalEncoding", int(length), d_model=int(d_model),
                    dropout=module.dropout.p)
    return BlockCode(init, _module_call, (nb.PositionalEncoding,))


def _same_pool(module: torch_conv.SamePool) -> BlockCode:
    init = keywords("SamePool", module.kind, size=module.size, stride=module.stride,
                    before=module.before, after=module.after)
    return BlockCode(init, _module_call, (torch_conv.SamePool,))


# --- blocks without weights, written as expressions ------------------------------------------


def _joined(operator_text: str) -> Callable[[str, str, Sequence[str]], list[str]]:
    return lambda targets, _m, args: [f"{targets} = " + f" {operator_text} ".join(args)]


def _concatenate(module: nb.Concatenate) -> BlockCode:
    dim = literal(module.dim)
    return BlockCode(None, _assign(lambda args: f"torch.cat(({', '.join(args)}), dim={dim})"))


def _reshape(module: nb.Reshape) -> BlockCode:
    sizes = ", ".join(literal(s) for s in module.shape)
    return BlockCode(None, _assign(lambda a: f"{a[0]}.reshape({a[0]}.shape[0], {sizes})"))


def _permute(module: nb.Permute) -> BlockCode:
    dims = ", ".join(literal(d) for d in module.dims)
    return BlockCode(None, _assign(lambda a: f"{a[0]}.permute({dims})"))


def _global_pool(module: nb.GlobalAvgPool) -> BlockCode:
    if module.over == "sequence":
        return BlockCode(None, _assign(lambda a: f"{a[0]}.mean(dim=1)"))
    return BlockCode(None, _assign(lambda a: f"{a[0]}.flatten(2).mean(dim=2)"))


def _sampling(module: nb.Sampling) -> BlockCode:
    # The reparameterisation trick; in eval mode the mean, so outputs are deterministic.
    return BlockCode(None, _assign(
        lambda a: f"{a[0]} + torch.exp(0.5 * {a[1]}) * torch.randn_like({a[0]}) "
                  f"if self.training else {a[0]}"))


def _flatten(module: nn.Flatten) -> BlockCode:
    return BlockCode(call("nn.Flatten", options=[("start_dim", module.start_dim, 1),
                                                 ("end_dim", module.end_dim, -1)]),
                     _module_call)


def _dropout(module: nn.Dropout) -> BlockCode:
    return BlockCode(call("nn.Dropout", [module.p]), _module_call)


def _copied(name: str, *args: Any) -> Callable[[nn.Module], BlockCode]:
    """A class copied in as source, built with ``args`` read from the module by name."""
    def render(module: nn.Module) -> BlockCode:
        values = {arg: getattr(module, arg) for arg in args}
        return BlockCode(call(name, options=[(k, v, ALWAYS) for k, v in values.items()]),
                         _module_call, (type(module),))

    return render


_RENDERERS: dict[type, Callable[[Any], BlockCode]] = {
    # Loss blocks (only the training script has them).
    nb.MSELoss: _copied("MSELoss"),
    nb.CrossEntropyLoss: _copied("CrossEntropyLoss", "inputs", "label_smoothing"),
    nb.BCELoss: _copied("BCELoss", "from_logits"),
    nb.KLDivergenceLoss: _copied("KLDivergenceLoss"),
    # Layers.
    nb.Dense: _dense,
    torch_conv.Conv1d: _conv,
    torch_conv.Conv2d: _conv,
    torch_conv.ConvTranspose2d: _conv_transpose,
    torch_conv.SamePool: _same_pool,
    torch_sequence.Recurrent: _recurrent,
    torch_sequence.MultiHeadAttention: _attention,
    nb.PositionalEncoding: _positional,
    nb.Add: lambda m: BlockCode(None, _joined("+")),
    nb.Multiply: lambda m: BlockCode(None, _joined("*")),
    nb.Concatenate: _concatenate,
    nb.Reshape: _reshape,
    nb.Permute: _permute,
    nb.GlobalAvgPool: _global_pool,
    nb.Sampling: _sampling,
    nb.Step: _activation_block,
    nb.Sign: _activation_block,
    nn.Identity: _activation_block,
    nn.ReLU: _activation_block,
    nn.LeakyReLU: _activation_block,
    nn.Sigmoid: _activation_block,
    nn.Tanh: _activation_block,
    nn.GELU: _activation_block,
    nn.Softmax: _activation_block,
    nn.LogSoftmax: _activation_block,
    nn.Linear: lambda m: BlockCode(call("nn.Linear", [m.in_features, m.out_features],
                                        [("bias", m.bias is not None, True)]), _module_call),
    nn.BatchNorm1d: _batchnorm,
    nn.BatchNorm2d: _batchnorm,
    nn.BatchNorm3d: _batchnorm,
    nn.LayerNorm: _layernorm,
    nn.Dropout: _dropout,
    nn.Embedding: _embedding,
    nn.Flatten: _flatten,
    nn.MaxPool1d: _pool,
    nn.MaxPool2d: _pool,
    nn.AvgPool1d: _pool,
    nn.AvgPool2d: _pool,
    nn.AdaptiveAvgPool1d: _adaptive,
    nn.AdaptiveAvgPool2d: _adaptive,
    nn.TransformerEncoderLayer: _encoder_layer,
}


def render_module(module: nn.Module) -> BlockCode:
    """The code of the block whose built module is ``module``.

    Raises:
        UnsupportedModuleError: the module's class has no code form.
    """
    try:
        return _render(module)
    except UnsafeCodeError as error:
        raise UnsupportedModuleError(str(error)) from None


def _render(module: nn.Module) -> BlockCode:
    renderer = _RENDERERS.get(type(module))
    if renderer is None:
        rendered = render_torch_op(module)
        if rendered is None:
            raise UnsupportedModuleError(
                f"its module {type(module).__module__}.{type(module).__name__} has no code "
                "form yet")
        return rendered
    return renderer(module)
