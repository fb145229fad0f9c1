"""Writes the bundled example graphs, resources/examples/*.nbg, from the definitions below.

The networks are those of the tutorials our users come from (shared SEED_MODELS list):
the figures in each docstring are checked by tests/test_examples.py. Run from the repository
root after changing a definition:

    python packaging/make_examples.py

A test fails when a checked-in example differs from what this script writes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import netbuilder
from netbuilder.core.builder import GraphBuilder
from netbuilder.core.graph import GROUP, Document, Node

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "resources" / "examples"

CLASSIFIER_TRAINING = {
    "recipe": "classification",
    "optimizer": "adam",
    "lr": 0.001,
    "validation_split": 0.2,
}


def _document(title: str, description: str, training: dict) -> Document:
    doc = netbuilder.new_document()
    doc.metadata.update({"title": title, "description": description})
    doc.training.update(training)
    return doc


def _add_classification_loss(net: GraphBuilder, prediction: Node) -> None:
    """A class-index label Input and a cross-entropy loss on a softmax prediction."""
    label = net.add("input", shape=[], dtype="int64", name="label")
    net.add("cross_entropy_loss", prediction, label, name="loss", inputs="probabilities")


def perceptron() -> Document:
    """One neuron with a step activation on a linearly separable 2-D set: 3 parameters."""
    doc = _document(
        "Perceptron",
        "A single neuron y = step(w·x + b) trained with the perceptron learning rule on a "
        "linearly separable 2-D set; shows the decision boundary.",
        {"recipe": "perceptron", "dataset": "linearly_separable", "lr": 0.1, "epochs": 20,
         "batch_size": 1},
    )
    net = GraphBuilder(doc, "model")
    x = net.add("input", shape=[2], name="point")
    y = net.add("neuron", x, activation="step", name="neuron")
    net.add("output", y, name="decision")
    net.layout()
    return doc


def regression_mlp() -> Document:
    """10 -> Dense 10 ReLU -> Dense 1: 110 + 11 = 121 parameters, MSE, Adam."""
    doc = _document(
        "Regression MLP",
        "Input 10 -> Dense 10 ReLU -> Dense 1 linear, trained with mean squared error and "
        "Adam on 100 random rows, 100 epochs, batch 10.",
        {"recipe": "regression", "dataset": "regression_rows", "optimizer": "adam",
         "lr": 0.001, "epochs": 100, "batch_size": 10, "validation_split": 0.0},
    )
    net = GraphBuilder(doc, "model")
    x = net.add("input", shape=[10], name="features")
    x = net.add("dense", x, units=10, activation="relu", name="hidden")
    y = net.add("dense", x, units=1, activation="linear", name="prediction")
    net.add("output", y, name="value")
    target = net.add("input", shape=[1], name="target")
    net.add("mse_loss", y, target, name="loss")
    net.layout()
    return doc


def _mnist_cnn(title: str, padding: str, description: str, third_conv: bool = False,
               dense_units: int = 128, batch_size: int = 128) -> Document:
    doc = _document(title, description, {**CLASSIFIER_TRAINING, "dataset": "digits",
                                         "epochs": 10, "batch_size": batch_size})
    net = GraphBuilder(doc, "model")
    x = net.add("input", shape=[1, 28, 28], name="image")
    x = net.add("conv2d", x, filters=32, kernel_size=3, padding=padding, name="conv1")
    x = net.add("maxpool2d", x, pool_size=2, name="pool1")
    x = net.add("conv2d", x, filters=64, kernel_size=3, padding=padding, name="conv2")
    x = net.add("maxpool2d", x, pool_size=2, name="pool2")
    if third_conv:
        x = net.add("conv2d", x, filters=64, kernel_size=3, padding=padding, name="conv3")
    x = net.add("flatten", x, name="flatten")
    x = net.add("dense", x, units=dense_units, activation="relu", name="hidden")
    y = net.add("dense", x, units=10, activation="softmax", name="classes")
    net.add("output", y, name="probabilities")
    _add_classification_loss(net, y)
    net.layout()
    return doc


def mnist_cnn() -> Document:
    """CNN A: 1x28x28 -> 32x26x26 -> 32x13x13 -> 64x11x11 -> 64x5x5 -> 1600 -> 128 -> 10.

    Parameters 320 + 18,496 + 204,928 + 1,290 = 225,034.
    """
    return _mnist_cnn(
        "CNN on handwritten digits",
        "valid",
        "Two 3x3 convolutions with max pooling, then Dense 128 ReLU and Dense 10 softmax: "
        "the classic Keras MNIST tutorial network. Trains offline on the built-in digits.",
    )


def mnist_cnn_same() -> Document:
    """CNN A with "same" padding: 32x28x28 -> ... -> 64x7x7 -> 3136: 421,642 parameters."""
    return _mnist_cnn(
        "CNN on handwritten digits (same padding)",
        "same",
        "The same CNN with 'same' padding, so convolutions keep the image size: more "
        "features reach the Dense layer (3136 instead of 1600).",
    )


def mnist_cnn_b() -> Document:
    """CNN B: three convolutions, Dense 64: 93,322 parameters, batch 64."""
    return _mnist_cnn(
        "CNN with three convolutions",
        "valid",
        "Conv 32 -> pool -> Conv 64 -> pool -> Conv 64 -> Dense 64 -> Dense 10: the "
        "TensorFlow tutorial CNN, with integer (sparse) labels.",
        third_conv=True, dense_units=64, batch_size=64,
    )


def _char_model(cell: str, title: str) -> Document:
    doc = _document(
        title,
        f"Predicts the next character of 'hello world' (8 distinct characters, one-hot) with "
        f"two stacked {cell.upper() if cell != 'simple_rnn' else 'SimpleRNN'} layers of 50 "
        "units, then generates text from a start character.",
        {"recipe": "language_model", "dataset": "hello_world", "optimizer": "adam",
         "lr": 0.01, "epochs": 100, "batch_size": 8, "validation_split": 0.0,
         "generate": {"start": "h", "length": 10, "temperature": 0.0}},
    )
    net = GraphBuilder(doc, "model")
    x = net.add("input", shape=[10, 8], name="characters")
    x = net.add(cell, x, units=50, return_sequences=True, name="recurrent1")
    x = net.add(cell, x, units=50, return_sequences=False, name="recurrent2")
    y = net.add("dense", x, units=8, activation="softmax", name="next_character")
    net.add("output", y, name="probabilities")
    _add_classification_loss(net, y)
    net.layout()
    return doc


def char_rnn() -> Document:
    """SimpleRNN 50 (sequences) -> SimpleRNN 50 -> Dense 8: 3,000 + 5,100 + 408 = 8,508.

    PyTorch's recurrent cells carry two bias vectors where Keras carries one.
    """
    return _char_model("simple_rnn", "Character RNN")


def char_lstm() -> Document:
    """LSTM 50 (sequences) -> LSTM 50 -> Dense 8: 12,000 + 20,400 + 408 = 32,808."""
    return _char_model("lstm", "Character LSTM")


def char_gru() -> Document:
    """GRU 50 (sequences) -> GRU 50 -> Dense 8: 9,000 + 15,300 + 408 = 24,708."""
    return _char_model("gru", "Character GRU")


def gan_mnist() -> Document:
    """Generator 1,489,936 and discriminator 533,505 trainable parameters."""
    doc = _document(
        "GAN on handwritten digits",
        "A generator turns 100 random numbers into a 28x28 image; a discriminator tells real "
        "digits from generated ones. They train in turns (Adam, lr 0.0002, beta1 0.5) on "
        "images scaled to [-1, 1].",
        {"recipe": "gan", "dataset": "digits", "optimizer": "adam", "lr": 0.0002,
         "betas": [0.5, 0.999], "epochs": 30, "batch_size": 64, "latent_dim": 100},
    )
    gen = GraphBuilder(doc, "generator")
    x = gen.add("input", shape=[100], name="noise")
    for index, units in enumerate((256, 512, 1024), start=1):
        x = gen.add("dense", x, units=units, activation="linear", name=f"dense{index}")
        x = gen.add("leaky_relu", x, slope=0.2, name=f"leaky{index}")
        # Keras' BatchNormalization(momentum=0.8) is PyTorch's momentum 0.2.
        x = gen.add("batchnorm", x, momentum=0.2, name=f"norm{index}")
    x = gen.add("dense", x, units=784, activation="tanh", name="pixels")
    x = gen.add("reshape", x, shape=[1, 28, 28], name="image")
    gen.add("output", x, name="fake")
    gen.layout()

    disc = GraphBuilder(doc, "discriminator")
    x = disc.add("input", shape=[1, 28, 28], name="image")
    x = disc.add("flatten", x, name="flatten")
    x = disc.add("dense", x, units=512, activation="leaky_relu", name="dense1")
    x = disc.add("dense", x, units=256, activation="leaky_relu", name="dense2")
    y = disc.add("dense", x, units=1, activation="sigmoid", name="real")
    disc.add("output", y, name="probability")
    disc.layout()
    return doc


def vae_mnist() -> Document:
    """Encoder 784 -> 400 -> (mu 20, logvar 20), sampling, decoder 20 -> 400 -> 784."""
    doc = _document(
        "Variational autoencoder",
        "Encodes a digit into the mean and log-variance of a 20-number code, samples a code "
        "and decodes it back; the loss adds reconstruction and KL divergence. The "
        "reconstruction loss has weight 784: BCE averages over pixels, and the VAE needs its "
        "sum over the image to balance the KL term. Shows reconstructions and samples from "
        "the prior.",
        {"recipe": "vae", "dataset": "digits", "optimizer": "adam", "lr": 0.001,
         "epochs": 10, "batch_size": 128, "latent_dim": 20},
    )
    net = GraphBuilder(doc, "model")
    image = net.add("input", shape=[1, 28, 28], name="image")
    x = net.add("flatten", image, name="flatten")
    x = net.add("dense", x, units=400, activation="relu", name="encoder")
    mu = net.add("dense", x, units=20, activation="linear", name="mu")
    logvar = net.add("dense", x, units=20, activation="linear", name="logvar")
    z = net.add("sampling", mu, logvar, name="z")
    x = net.add("dense", z, units=400, activation="relu", name="decoder")
    x = net.add("dense", x, units=784, activation="sigmoid", name="pixels")
    recon = net.add("reshape", x, shape=[1, 28, 28], name="reconstruction")
    net.add("output", recon, name="decoded")
    # The tutorial's loss sums BCE over the 784 pixels; the block averages, so weight it back.
    # Without this the KL term dominates and every code decodes to the same blur.
    net.add("bce_loss", recon, image, name="reconstruction_loss", weight=784.0)
    net.add("kl_divergence_loss", mu, logvar, name="kl_loss")
    net.layout()
    return doc


def transformer_classifier() -> Document:
    """Tokens -> embedding + positions -> a Transformer encoder block (a reusable group)."""
    doc = _document(
        "Transformer classifier",
        "Classifies token sequences with one Transformer encoder block built from parts: "
        "multi-head self-attention and a feed-forward layer, each with a residual connection "
        "and layer norm. The block is a reusable group; its attention weights are an output "
        "for the attention map.",
        {**CLASSIFIER_TRAINING, "dataset": "token_sequences", "epochs": 10,
         "batch_size": 64},
    )
    block = GraphBuilder(doc, "encoder_block", GROUP)
    x = block.add("group_input", name="x")
    attention = block.add("multi_head_attention", x, heads=4, name="attention")
    x1 = block.add("add", x, (attention, "y"), name="residual1")
    x1 = block.add("layernorm", x1, name="norm1")
    h = block.add("dense", x1, units=64, activation="relu", name="feed_forward")
    h = block.add("dense", h, units=32, activation="linear", name="project")
    x2 = block.add("add", x1, h, name="residual2")
    x2 = block.add("layernorm", x2, name="norm2")
    block.add("group_output", x2, name="y")
    block.add("group_output", (attention, "weights"), name="weights")
    block.layout()

    net = GraphBuilder(doc, "model")
    tokens = net.add("input", shape=[16], dtype="int64", name="tokens")
    x = net.add("embedding", tokens, vocab_size=16, dim=32, name="embedding")
    x = net.add("positional_encoding", x, name="positions")
    encoder = net.add("group", x, group="encoder_block", name="encoder")
    x = net.add("global_avg_pool", (encoder, "y"), over="sequence", name="pool")
    y = net.add("dense", x, units=2, activation="softmax", name="classes")
    net.add("output", y, name="probabilities")
    net.add("output", (encoder, "weights"), name="attention_map")
    _add_classification_loss(net, y)
    net.layout()
    return doc


EXAMPLES: dict[str, Callable[[], Document]] = {
    "perceptron": perceptron,
    "regression_mlp": regression_mlp,
    "mnist_cnn": mnist_cnn,
    "mnist_cnn_same": mnist_cnn_same,
    "mnist_cnn_b": mnist_cnn_b,
    "char_rnn": char_rnn,
    "char_lstm": char_lstm,
    "char_gru": char_gru,
    "gan_mnist": gan_mnist,
    "vae_mnist": vae_mnist,
    "transformer_classifier": transformer_classifier,
}


def main() -> int:
    EXAMPLES_DIR.mkdir(parents=True, exist_ok=True)
    for name, make in EXAMPLES.items():
        netbuilder.save(make(), EXAMPLES_DIR / f"{name}.nbg")
        print(f"wrote resources/examples/{name}.nbg")
    return 0


if __name__ == "__main__":
    sys.exit(main())
