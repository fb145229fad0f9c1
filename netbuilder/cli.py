"""The ``netbuilder`` command line.

``netbuilder [FILE]`` opens the app; ``summary``, ``examples``, ``train``, ``export`` and
``import`` work headless. Errors print one line on stderr and exit with code 2 for bad
input; a traceback only appears with NETBUILDER_DEBUG=1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from netbuilder import __version__
from netbuilder.core.errors import NetbuilderError, printable
from netbuilder.train.host_memory import share_main_arena

if TYPE_CHECKING:
    from netbuilder.core.tensor import TensorSpec

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130
#: 128 + SIGTERM, what a shell reports for a process that SIGTERM ended.
EXIT_TERMINATED = 143
EXIT_BROKEN_PIPE = 141  # what a shell reports for a program stopped by SIGPIPE
COMMANDS = ("summary", "examples", "train", "export", "import", "gui")


class Terminated(KeyboardInterrupt):
    """SIGTERM during ``train``: raised in the main thread, so that the run ends as Ctrl-C
    ends it (the checkpoint kept, the files closed)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # argparse's own message, but as the one line (and exit code 2) we promise.
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="netbuilder",
        description="Design neural networks as graphs, compile them to PyTorch, train and "
                    "export them. With no command, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"netbuilder {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    summary = commands.add_parser(
        "summary", help="every node's output shape, parameters and multiply-adds")
    summary.add_argument("file", help="a .nbg graph file, or the name of a bundled example")
    summary.add_argument("--json", action="store_true", help="print one JSON object")

    commands.add_parser("examples", help="list the bundled example graphs")

    train = commands.add_parser(
        "train", help="train a graph headless, with a progress bar (the app's engine)")
    train.add_argument("file", help="a .nbg graph file, or the name of a bundled example")
    train.add_argument("--epochs", type=int, help="override the graph's number of epochs")
    train.add_argument("--batch-size", type=int, help="override the batch size")
    train.add_argument("--lr", type=float, help="override the learning rate")
    train.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"),
                       help="where to train (default: the graph's setting, usually auto)")
    train.add_argument("--data", help="a data file or folder, or a built-in data set name "
                       "(default: the graph's data set)")
    train.add_argument("--network", help="which network to train (default: the first)")
    train.add_argument("--log", type=Path, help="write one JSON object per line here")
    train.add_argument("--save", type=Path, help="write the trained weights here")
    train.add_argument("--resume", type=Path, help="continue from a checkpoint")
    train.add_argument("--tensorboard", type=Path, metavar="DIR",
                       help="also write TensorBoard event files to DIR (needs tensorboard)")

    _add_export_parser(commands)
    _add_import_parser(commands)

    gui = commands.add_parser("gui", help="open the app (the default command)")
    gui.add_argument("file", nargs="?", help="a .nbg file to open (default: the CNN example)")
    return parser


def _add_export_parser(commands: argparse._SubParsersAction) -> None:
    export = commands.add_parser(
        "export", help="write a graph as PyTorch code, ONNX or TorchScript",
        description="Export a network of a graph. Every format is written atomically.")
    export.add_argument("file", help="a .nbg graph file, or the name of a bundled example")
    export.add_argument("--to", required=True, choices=("python", "onnx", "torchscript"),
                        help="python: a readable nn.Module that needs torch alone; onnx; "
                             "torchscript")
    export.add_argument("-o", "--output", required=True, type=Path, help="the file to write")
    export.add_argument("--weights", type=Path,
                        help="trained weights (a file `netbuilder train --save` wrote)")
    export.add_argument("--network", help="which network (default: the first)")
    export.add_argument("--with-training", action="store_true",
                        help="with --to python: a training script (the model included) that "
                             "runs alone or under torchrun with DistributedDataParallel")
    export.add_argument("--force", action="store_true",
                        help="overwrite the files written beside OUTPUT (with --to python "
                             "--weights: OUTPUT's .pt) when they exist; OUTPUT itself is "
                             "always replaced")


def _add_import_parser(commands: argparse._SubParsersAction) -> None:
    imp = commands.add_parser(
        "import", help="turn a PyTorch nn.Module into a graph (traced with torch.fx)",
        description="Trace MODULE:CLASS (instantiated with no arguments) with torch.fx and "
                    "write it as a graph, with its weights. Importing runs that module's "
                    "code: import only code you trust.")
    imp.add_argument("target", metavar="MODULE:CLASS",
                     help="e.g. mymodels:ResNet (MODULE is found on --path, then sys.path)")
    imp.add_argument("-o", "--output", required=True, type=Path, help="the .nbg file to write")
    imp.add_argument("--input", dest="inputs", action="append", required=True,
                     metavar="SHAPE[:DTYPE]",
                     help="one per forward argument, without the batch dimension: "
                          "1,28,28 or 16:int64")
    imp.add_argument("--name", default="model", help="the network's name (default: model)")
    imp.add_argument("--weights", type=Path,
                     help="where to write the module's weights (default: OUTPUT with .pt)")
    imp.add_argument("--force", action="store_true",
                     help="replace an existing file at OUTPUT with .pt (the default weights)")
    imp.add_argument("--path", type=Path, default=Path.cwd(),
                     help="folder to import MODULE from (default: the current folder)")


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line; returns the process exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or (args_list[0] not in COMMANDS and not args_list[0].startswith("-")):
        args_list.insert(0, "gui")  # `netbuilder` and `netbuilder FILE` open the app
    parser = build_parser()
    args = parser.parse_args(args_list)
    try:
        return _dispatch(args)
    except NetbuilderError as error:
        _fail(str(error))
        return EXIT_BAD_INPUT
    except Terminated:
        print("netbuilder: terminated", file=sys.stderr)
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        print("netbuilder: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader left early (`netbuilder summary FILE | head`): not an error of ours.
        # Point stdout at nothing so that the interpreter's last flush stays quiet too.
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except Exception as error:  # a bug: one line by default, the traceback on request
        if os.environ.get("NETBUILDER_DEBUG"):
            raise
        _fail(f"internal error: {type(error).__name__}: {error} "
              "(set NETBUILDER_DEBUG=1 for the traceback, and please report it)")
        return EXIT_FAILURE


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "summary":
        return _summary(args.file, args.json)
    if args.command == "examples":
        return _examples()
    if args.command == "train":
        return _train(args)
    if args.command == "export":
        return _export(args)
    if args.command == "import":
        return _import(args)
    return _gui(args.file)


def _resolve(file: str) -> str:
    """A path as given, or the path of a bundled example named ``file``."""
    from netbuilder import resources

    if os.path.exists(file) or file.endswith(".nbg") or os.sep in file:
        return file
    try:
        return str(resources.example_path(file))
    except KeyError:
        return file


def _summary(file: str, as_json: bool) -> int:
    import netbuilder
    from netbuilder.core.summary import summary_dict, summary_text

    path = _resolve(file)
    doc = netbuilder.load(path)
    data = summary_dict(doc, path)
    if as_json:
        print(json.dumps(data, indent=2))
    else:
        # Names and types come from the file: a hostile one must not drive the terminal.
        # split("\n"), not splitlines(): other line breaks in a name are escaped, not obeyed.
        lines = summary_text(doc, path).rstrip("\n").split("\n")
        print("".join(printable(line) + "\n" for line in lines), end="")
    if data["errors"]:
        first = data["errors"][0]
        where = f"node {first['name']}: " if first["name"] else ""
        count = len(data["errors"])
        _fail(f"{path}: {count} problem{'s' if count > 1 else ''} "
              f"(first: {first['network']} / {where}{first['message']})")
        return EXIT_BAD_INPUT
    return EXIT_OK


def _train(args: argparse.Namespace) -> int:
    import netbuilder
    from netbuilder.train.console import TrainOptions, run_training

    path = _resolve(args.file)
    doc = netbuilder.load(path)
    options = TrainOptions(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                           device=args.device, data=args.data, log=args.log, save=args.save,
                           resume=args.resume, network=args.network,
                           tensorboard=args.tensorboard)
    with _sigterm_interrupts():
        finished = run_training(doc, path, options)
    sample = finished.metrics.get("sample")
    if sample is not None:  # a text model's result: on stdout, where results go
        sample_from = finished.metrics.get("sample_from", "greedy")
        print(printable(f"generated text ({sample_from}): {sample}"))
    return EXIT_OK


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """Turns SIGTERM into :class:`Terminated` while the block runs, then restores the handler.

    Only in the main thread, where Python runs signal handlers (and where ``signal.signal``
    may be called at all); elsewhere the block runs as it is.
    """
    if (threading.current_thread() is not threading.main_thread()
            or not hasattr(signal, "SIGTERM")):
        yield
        return

    def terminate(_signum: int, _frame: FrameType | None) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        # None: a handler not set from Python; the default is the closest we can restore.
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


def _export(args: argparse.Namespace) -> int:
    import netbuilder
    from netbuilder.train.export import FORMATS, ExportRequest, export_document

    path = _resolve(args.file)
    doc = netbuilder.load(path)
    request = ExportRequest(to=args.to, out=args.output, network=args.network,
                            weights=args.weights, with_training=args.with_training,
                            force=args.force)
    written = export_document(doc, request)
    what = "training script" if args.with_training else FORMATS[args.to][1]
    for index, file in enumerate(written):
        label = what if index == 0 else "weights"
        print(f"wrote {file} ({label}, {_size(file)})")
    return EXIT_OK


def _import(args: argparse.Namespace) -> int:
    from netbuilder.compile.fx_import import check_weights_target, import_target, write_import

    # Checked before the import runs the module's code (which can take long).
    default_weights = Path(args.output).with_suffix(".pt")
    check_weights_target(args.weights or default_weights, named=args.weights is not None,
                         force=args.force)
    result = import_target(args.target, [_tensor_spec(text) for text in args.inputs],
                           name=args.name, search_path=args.path)
    _graph, weights = write_import(result, args.output, args.weights, force=args.force)
    for warning in result.warnings:
        print(f"netbuilder: warning: {warning}", file=sys.stderr)
    blocks = sum(len(graph.nodes) for graph in result.doc.networks.values())
    print(f"wrote {args.output} ({blocks} blocks) and {weights} (weights)")
    return EXIT_OK


def _tensor_spec(text: str) -> TensorSpec:
    from netbuilder.core.tensor import parse_tensor_spec

    try:
        return parse_tensor_spec(text)
    except ValueError as error:
        raise NetbuilderError(f"--input: {error}") from None


def _size(path: Path) -> str:
    size = path.stat().st_size
    return f"{size:,} bytes" if size < 10_000 else f"{size / 1024:,.0f} KiB"


def _examples() -> int:
    import netbuilder
    from netbuilder import resources

    for name in resources.list_examples():
        doc = netbuilder.load(resources.example_path(name))
        title = doc.metadata.get("title", "")
        print(f"{name:<24} {title}")
    return EXIT_OK


def _gui(file: str | None) -> int:
    if _no_display():
        _fail("no display to open the app on (DISPLAY and WAYLAND_DISPLAY are unset). Use "
              "`netbuilder summary FILE` here, or set QT_QPA_PLATFORM=offscreen.")
        return EXIT_BAD_INPUT
    # Before Qt or numpy start threads of their own: the app trains on a worker thread.
    share_main_arena()
    try:
        from netbuilder.ui.app import main as run_app
    except ImportError as error:
        _fail(f"the app cannot start: {error}. Install it with `bash packaging/setup.sh app`.")
        return EXIT_FAILURE
    return run_app(_resolve(file) if file else None)


def _no_display() -> bool:
    """True on Linux without X11 or Wayland, where Qt would abort instead of explaining."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _fail(message: str) -> None:
    # One line, whatever names or paths from a file (or torch) the message quotes.
    print(f"netbuilder: error: {printable(message)}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
