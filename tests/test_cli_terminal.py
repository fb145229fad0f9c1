"""Text from files reaches the terminal escaped: no control characters, unicode kept."""

from __future__ import annotations

import io
import json
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import netbuilder
from netbuilder.blocks import CATALOGUE
from netbuilder.cli import main
from netbuilder.core.fileformat import dumps
from netbuilder.train import console
from netbuilder.train.events import Finished, Started
from tests.helpers import mlp_document

#: What must never reach a terminal from a file (a newline only between lines of ours).
UNSAFE = {"Cc", "Cf", "Zl", "Zp", "Cs"}


def _unsafe(text: str) -> list[str]:
    return [c for c in text if c != "\n" and unicodedata.category(c) in UNSAFE]


def _graph_with_type(path: Path, type_name: str) -> str:
    data = json.loads(dumps(mlp_document()))
    data["networks"][0]["nodes"][2]["type"] = type_name
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


names = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40).filter(
    lambda t: CATALOGUE.get(t) is None)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names)
def test_summary_prints_any_unknown_type_name_escaped(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    main(["summary", _graph_with_type(tmp_path / "g.nbg", name)])
    captured = capsys.readouterr()
    assert not _unsafe(captured.out) and not _unsafe(captured.err)
    assert captured.err.count("\n") <= 1


def test_a_screen_clearing_type_name_shows_as_escapes_and_unicode_stays(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["summary", _graph_with_type(tmp_path / "g.nbg", "dénse\x1b[2J\x1b[H")])
    out = capsys.readouterr().out
    assert "dénse\\x1b[2J\\x1b[H (unknown)" in out and "\x1b" not in out


def test_a_hostile_file_name_in_an_error_is_escaped(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", str(tmp_path / "a\x1b]0;owned\x07.nbg")]) == 2
    err = capsys.readouterr().err
    assert "\\x1b]0;owned\\x07" in err and not _unsafe(err) and err.count("\n") == 1


def test_progress_lines_are_escaped() -> None:
    out = io.StringIO()
    progress = console._Progress(out)
    progress.write(Started(1, 1, "cpu", "eager", "capturing failed (\x1b[2J in 'n\u202e1')"))
    assert "\\x1b[2J" in out.getvalue() and "\\u202e" in out.getvalue()
    assert not _unsafe(out.getvalue())


def test_generated_text_is_printed_escaped(monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    finished = Finished({"sample": "hi\x1b[2Jthere ünïcode", "sample_from": "greedy"},
                        None, None)
    monkeypatch.setattr(console, "run_training", lambda *_args, **_kwargs: finished)
    assert main(["train", "regression_mlp"]) == 0
    out = capsys.readouterr().out
    assert out == "generated text (greedy): hi\\x1b[2Jthere ünïcode\n"


def test_a_reader_that_leaves_early_is_not_an_internal_error(tmp_path) -> None:
    """`netbuilder summary FILE --json | head`: the pipe closes while the summary prints."""
    import subprocess
    import sys

    from netbuilder.core.builder import GraphBuilder

    doc = netbuilder.new_document()
    net = GraphBuilder(doc, "model")
    x = net.add("input", shape=[8])
    for _ in range(1500):  # far more JSON than a pipe holds
        x = net.add("relu", x)
    net.add("output", x)
    path = tmp_path / "long.nbg"
    netbuilder.save(doc, path)
    process = subprocess.Popen([sys.executable, "-m", "netbuilder", "summary", "--json",
                                str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.read(10)
    process.stdout.close()
    error = process.stderr.read().decode()
    assert process.wait(timeout=120) == 141
    assert "internal error" not in error and "Traceback" not in error
