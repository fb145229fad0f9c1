"""Orthogonal wire routing around blocks (netbuilder/ui/canvas/routing.py: plain geometry)."""

from __future__ import annotations

import itertools

from netbuilder.ui.canvas.routing import CLEARANCE, path_hits, route, segments

SOURCE = (0.0, 0.0, 180.0, 80.0)
TARGET = (900.0, 0.0, 1080.0, 80.0)
BETWEEN = (450.0, 0.0, 630.0, 80.0)


def _orthogonal(points: list[tuple[float, float]]) -> bool:
    return all(a[0] == b[0] or a[1] == b[1] for a, b in itertools.pairwise(points))


def test_a_wire_goes_around_a_block_between_its_ends() -> None:
    corners = route((180.0, 40.0), (900.0, 40.0), [BETWEEN, SOURCE, TARGET])
    assert corners is not None and _orthogonal(corners)
    assert corners[0] == (180.0, 40.0) and corners[-1] == (900.0, 40.0)
    # It leaves its output and enters its input going right.
    assert corners[1][1] == 40.0 and corners[1][0] > 180.0
    assert corners[-2][1] == 40.0 and corners[-2][0] < 900.0
    assert not path_hits(corners, BETWEEN)
    # And keeps its distance.
    grown = (BETWEEN[0] - CLEARANCE + 1, BETWEEN[1] - CLEARANCE + 1,
             BETWEEN[2] + CLEARANCE - 1, BETWEEN[3] + CLEARANCE - 1)
    assert not path_hits(corners, grown)


def test_a_backward_wire_runs_around_its_own_blocks() -> None:
    # From the end of one band to the start of the next: the input is left of the output.
    source, target = (600.0, 0.0, 780.0, 80.0), (0.0, 170.0, 180.0, 250.0)
    corners = route((780.0, 40.0), (0.0, 210.0), [source, target])
    assert corners is not None and _orthogonal(corners)
    assert not path_hits(corners[1:-1], source) and not path_hits(corners[1:-1], target)
    # It runs back through the gap between the bands.
    assert any(80.0 < a[1] == b[1] < 170.0 for a, b in itertools.pairwise(corners))


def test_no_route_when_a_block_sits_on_the_port() -> None:
    on_port = (170.0, 20.0, 350.0, 100.0)
    assert route((180.0, 40.0), (900.0, 40.0), [on_port]) is None


def test_a_second_wire_keeps_off_the_first() -> None:
    first = route((180.0, 40.0), (900.0, 40.0), [BETWEEN])
    assert first is not None
    second = route((180.0, 60.0), (900.0, 60.0), [BETWEEN], segments(first))
    assert second is not None
    shared = [(a, b) for a, b in itertools.pairwise(second)
              for run in segments(first) if _collinear_overlap((*a, *b), run)]
    assert shared == []


def test_path_hits_sees_a_segment_through_a_rectangle_not_one_along_its_edge() -> None:
    assert path_hits([(0.0, 40.0), (1000.0, 40.0)], BETWEEN)
    assert not path_hits([(0.0, 80.0), (1000.0, 80.0)], BETWEEN)
    assert not path_hits([(0.0, 90.0), (1000.0, 90.0)], BETWEEN)


def _collinear_overlap(a: tuple[float, float, float, float],
                       b: tuple[float, float, float, float]) -> bool:
    if a[1] == a[3] == b[1] == b[3]:  # both horizontal on one line
        return min(max(a[0], a[2]), max(b[0], b[2])) - max(min(a[0], a[2]), min(b[0], b[2])) > 1
    if a[0] == a[2] == b[0] == b[2]:
        return min(max(a[1], a[3]), max(b[1], b[3])) - max(min(a[1], a[3]), min(b[1], b[3])) > 1
    return False


def test_the_block_index_finds_the_blocks_an_area_overlaps() -> None:
    from netbuilder.ui.canvas.block_index import BlockIndex

    index = BlockIndex()
    index.put("a", (0.0, 0.0, 180.0, 80.0))
    index.put("b", (2000.0, 0.0, 2180.0, 80.0))
    assert [i for i, _ in index.near((100.0, 50.0, 300.0, 300.0))] == ["a"]
    index.put("a", (5000.0, 5000.0, 5180.0, 5080.0))  # moved away
    assert list(index.near((100.0, 50.0, 300.0, 300.0))) == []
    assert [i for i, _ in index.near((4000.0, 4000.0, 6000.0, 6000.0))] == ["a"]
    index.remove("b")
    assert len(index) == 1 and list(index.near((1900.0, -100.0, 2300.0, 200.0))) == []
