"""Loss blocks: what training minimises. Each returns one number averaged over the batch.

A loss block takes the prediction from the network and the target from an Input block (or,
for the KL divergence, the encoder's mu and logvar). Loss blocks are left out of the model
that ``netbuilder.build`` returns; the trainer compiles them with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netbuilder.blocks._rules import require_float
from netbuilder.core.blockspec import BlockSpec, Example, PortSpec
from netbuilder.core.errors import ShapeError
from netbuilder.core.params import ParamSpec
from netbuilder.core.tensor import TensorSpec, format_shape

SCALAR = TensorSpec(())
_PAIR = (PortSpec("prediction", "what the network produced"),
         PortSpec("target", "what it should have produced"))
_LOSS_OUT = (PortSpec("loss", "the batch's mean loss"),)


def _same_shape_loss(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> TensorSpec:
    prediction, target = inputs["prediction"], inputs["target"]
    require_float(prediction, "prediction")
    if prediction.shape != target.shape:
        raise ShapeError(f"prediction {format_shape(prediction.shape)} and target "
                         f"{format_shape(target.shape)} must have the same shape")
    return SCALAR


def _cross_entropy_shape(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]
                         ) -> TensorSpec:
    prediction, target = inputs["prediction"], inputs["target"]
    require_float(prediction, "prediction")
    if prediction.rank < 1:
        raise ShapeError("prediction must hold one score per class, e.g. (10)")
    if target.dtype == "int64":
        # Class indices: the class axis (first) is absent from the target.
        expected = prediction.shape[1:]
        if target.shape != expected:
            raise ShapeError(f"integer targets for prediction {format_shape(prediction.shape)} "
                             f"must have shape {format_shape(expected)}, got "
                             f"{format_shape(target.shape)}")
    elif target.shape != prediction.shape:
        raise ShapeError(f"one-hot targets must match prediction {format_shape(prediction.shape)}"
                         f", got {format_shape(target.shape)}")
    return SCALAR


def _kl_shape(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> TensorSpec:
    mu, logvar = inputs["mu"], inputs["logvar"]
    if mu.shape != logvar.shape:
        raise ShapeError(f"mu {format_shape(mu.shape)} and logvar {format_shape(logvar.shape)} "
                         "must have the same shape")
    return SCALAR


def _builder(module: str, *param_names: str) -> Any:
    def build(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> Any:
        from netbuilder.blocks import modules

        return getattr(modules, module)(*(params[name] for name in param_names))

    return build


def _bce(from_logits: bool) -> Any:
    from netbuilder.blocks.modules import BCELoss

    return BCELoss(from_logits)


def _weight_param() -> ParamSpec:
    return ParamSpec("weight", "float", 1.0, "Multiplies this loss where several are added up.",
                     minimum=0.0, maximum=1e6)


MSE = BlockSpec(
    type="mse_loss",
    title="MSE loss",
    category="Loss",
    role="loss",
    doc=("Mean squared error, the regression loss: mean((prediction - target)²).\n\n"
         "Input shape: prediction and target of one shape.\nOutput shape: () a number."),
    params=(_weight_param(),),
    inputs=_PAIR,
    outputs=_LOSS_OUT,
    infer=_same_shape_loss,
    build=_builder("MSELoss"),
    examples=(Example({"prediction": (1,), "target": (1,)}),
              Example({"prediction": (1, 28, 28), "target": (1, 28, 28)})),
)

CROSS_ENTROPY = BlockSpec(
    type="cross_entropy_loss",
    title="Cross-entropy loss",
    category="Loss",
    role="loss",
    doc=(
        "Categorical cross-entropy for classification. Targets are class indices (int64, the "
        "'sparse' form) or one-hot rows (float32). `inputs` says whether the prediction is "
        "raw scores (logits) or already went through softmax (probabilities).\n\n"
        "Input shape: prediction (classes) or (classes, ...); target () int64 or one-hot "
        "(classes).\nOutput shape: () a number."
    ),
    params=(
        ParamSpec("inputs", "choice", "probabilities",
                  "probabilities if the network ends in softmax, logits if it ends in a "
                  "linear layer.", choices=("probabilities", "logits")),
        ParamSpec("label_smoothing", "float", 0.0, "Mixes targets with a uniform "
                  "distribution by this amount.", minimum=0.0, maximum=1.0),
        _weight_param(),
    ),
    inputs=_PAIR,
    outputs=_LOSS_OUT,
    infer=_cross_entropy_shape,
    build=_builder("CrossEntropyLoss", "inputs", "label_smoothing"),
    summary_params=("inputs",),
    aliases=("categorical_crossentropy", "sparse_categorical_crossentropy"),
    examples=(
        Example({"prediction": (10,), "target": TensorSpec((), "int64")}),
        Example({"prediction": (10,), "target": (10,)}, {"inputs": "logits"}),
        Example({"prediction": (8, 5), "target": TensorSpec((5,), "int64")},
                {"inputs": "logits"}),
    ),
)

BCE = BlockSpec(
    type="bce_loss",
    title="BCE loss",
    category="Loss",
    role="loss",
    doc=("Binary cross-entropy for a probability in [0, 1] (after a sigmoid): the GAN's "
         "adversarial loss and a VAE's pixel loss.\n\n"
         "Input shape: prediction and target of one shape.\nOutput shape: () a number."),
    params=(_weight_param(),),
    inputs=_PAIR,
    outputs=_LOSS_OUT,
    infer=_same_shape_loss,
    build=lambda p, i: _bce(from_logits=False),
    aliases=("binary_crossentropy",),
    examples=(Example({"prediction": (1,), "target": (1,)}),),
)

BCE_LOGITS = BlockSpec(
    type="bce_logits_loss",
    title="BCE-with-logits loss",
    category="Loss",
    role="loss",
    doc=("Binary cross-entropy on raw scores (it applies the sigmoid itself, more stably).\n\n"
         "Input shape: prediction and target of one shape.\nOutput shape: () a number."),
    params=(_weight_param(),),
    inputs=_PAIR,
    outputs=_LOSS_OUT,
    infer=_same_shape_loss,
    build=lambda p, i: _bce(from_logits=True),
    examples=(Example({"prediction": (1,), "target": (1,)}),
              Example({"prediction": (3, 4), "target": (3, 4)})),
)

KL = BlockSpec(
    type="kl_divergence_loss",
    title="KL divergence loss",
    category="Loss",
    role="loss",
    doc=("The VAE's KL term: how far N(mu, exp(logvar)) is from N(0, 1), summed over the "
         "latent code and averaged over the batch.\n\n"
         "Input shape: mu and logvar of one shape.\nOutput shape: () a number."),
    params=(_weight_param(),),
    inputs=(PortSpec("mu"), PortSpec("logvar")),
    outputs=_LOSS_OUT,
    infer=_kl_shape,
    build=_builder("KLDivergenceLoss"),
    examples=(Example({"mu": (20,), "logvar": (20,)}),),
)

SPECS = (MSE, CROSS_ENTROPY, BCE, BCE_LOGITS, KL)
