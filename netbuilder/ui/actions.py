"""The window's commands as data: names, texts, shortcuts, and where they sit in the menus.

Keeping every shortcut in one table makes the keyboard map easy to read and check: the
shortcuts dialog is generated from the menus built here, and ``tests/ui/test_shortcuts.py``
checks that no key sequence is bound twice (Qt would print "Ambiguous shortcut overload" and
do nothing). Shortcuts are written out rather than taken from ``QKeySequence.StandardKey``,
whose bindings differ between platforms (offscreen, Quit has none) and include extras such as
Alt+Backspace that collide with our own keys.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar, QWidget


@dataclass(frozen=True)
class ActionSpec:
    """One command of the window.

    Attributes:
        name: the key in ``MainWindow.actions_by_name`` and in :data:`MENUS`.
        text: the menu text, with ``&`` before the mnemonic letter.
        keys: shortcuts, in Qt's portable text form ("Ctrl" is Cmd on macOS).
        tip: the status bar text while the menu item is highlighted.
        needs_document: disabled while no document is open.
        checkable: a toggle (Snap to Grid).
    """

    name: str
    text: str
    keys: tuple[str, ...] = ()
    tip: str = ""
    needs_document: bool = True
    checkable: bool = False


_ALIGNMENTS = (("left", "Align &Left"), ("right", "Align &Right"), ("top", "Align &Top"),
               ("bottom", "Align &Bottom"), ("middle", "Align &Middles"),
               ("spread_x", "Spread &Horizontally"), ("spread_y", "Spread &Vertically"))

ACTIONS: tuple[ActionSpec, ...] = (
    # File
    ActionSpec("new", "&New", ("Ctrl+N",), "Start an empty graph", needs_document=False),
    ActionSpec("open", "&Open…", ("Ctrl+O",), "Open a .nbg file", needs_document=False),
    ActionSpec("gallery", "Example &Gallery…", ("Ctrl+Shift+O",),
               "Open a copy of one of the bundled examples", needs_document=False),
    ActionSpec("save", "&Save", ("Ctrl+S",), "Save the document"),
    ActionSpec("save_as", "Save &As…", ("Ctrl+Shift+S",), "Save the document under a new name"),
    ActionSpec("import_module", "&Import PyTorch Module…", ("Ctrl+I",),
               "Trace an nn.Module class with torch.fx and open it as a graph",
               needs_document=False),
    ActionSpec("export", "&Export…", ("Ctrl+E",),
               "Write a network as PyTorch code, a training script, ONNX or TorchScript"),
    ActionSpec("close", "&Close", ("Ctrl+W",), "Close the document"),
    ActionSpec("quit", "&Quit", ("Ctrl+Q",), "Close every document and leave netbuilder",
               needs_document=False),
    # Edit. Undo and redo come from the window's QUndoGroup, which enables them as the active
    # undo stack allows: these specs only give their keys.
    ActionSpec("undo", "&Undo", ("Ctrl+Z",), needs_document=False),
    ActionSpec("redo", "&Redo", ("Ctrl+Shift+Z", "Ctrl+Y"), needs_document=False),
    ActionSpec("cut", "Cu&t", ("Ctrl+X",), "Copy the selected blocks and delete them"),
    ActionSpec("copy", "&Copy", ("Ctrl+C",), "Copy the selected blocks"),
    ActionSpec("paste", "&Paste", ("Ctrl+V",), "Paste blocks"),
    ActionSpec("duplicate", "&Duplicate", ("Ctrl+D",), "Copy and paste the selection at once"),
    ActionSpec("delete", "&Delete", ("Del", "Backspace"), "Delete the selection"),
    ActionSpec("select_all", "Select &All", ("Ctrl+A",)),
    ActionSpec("rename", "&Rename Block…", ("F2",)),
    ActionSpec("bypass", "&Bypass Block", ("B",),
               "Let the selected blocks pass their input through (a quick ablation)"),
    ActionSpec("group", "&Group", ("Ctrl+G",), "Make the selection a reusable group"),
    ActionSpec("ungroup", "&Ungroup", ("Ctrl+Shift+G",), "Put a group's blocks back in place"),
    ActionSpec("frame", "Add &Frame", ("Ctrl+Shift+F",), "Frame the selection with a comment"),
    ActionSpec("quick_add", "&Quick Add…", ("Tab",), "Search for a block to add at the cursor"),
    # Arrange
    ActionSpec("layout", "Auto &Layout", ("Ctrl+L",),
               "Arrange the network in layers, left to right"),
    *(ActionSpec(f"align_{how}", text) for how, text in _ALIGNMENTS),
    # View
    ActionSpec("zoom_in", "Zoom &In", ("Ctrl++", "Ctrl+=")),
    ActionSpec("zoom_out", "Zoom &Out", ("Ctrl+-",)),
    ActionSpec("zoom_reset", "&Actual Size", ("Ctrl+0",)),
    ActionSpec("fit", "&Fit to Window", ("F",), "Show the whole network"),
    ActionSpec("snap", "&Snap to Grid", checkable=True),
    ActionSpec("block_previews", "Block &Previews", tip="Show under each block what it outputs "
               "for a sample of the data set (during training, for the run's probe sample)",
               checkable=True),
    ActionSpec("next_document", "&Next Document", ("Ctrl+Tab", "Ctrl+PgDown")),
    ActionSpec("previous_document", "&Previous Document", ("Ctrl+Shift+Tab", "Ctrl+PgUp")),
    # Training (netbuilder/ui/training/dock.py)
    ActionSpec("train_start", "&Train", ("F5",), "Train the network with the Training panel's "
               "settings"),
    ActionSpec("train_pause", "&Pause / Resume", ("F6",), "Pause the run, or go on"),
    ActionSpec("train_stop", "&Stop", ("Shift+F5",), "Stop the run after its current step"),
    ActionSpec("train_continue", "&Continue Last Run",
               tip="Resume the last run from its last finished epoch"),
    # Network
    ActionSpec("add_network", "&Add Network…", tip="Add a network to the document (a GAN "
               "has two)"),
    ActionSpec("rename_network", "&Rename Network…"),
    ActionSpec("remove_network", "&Delete Network"),
    # Help
    ActionSpec("shortcuts", "&Keyboard Shortcuts", ("F1",), "Every shortcut of netbuilder",
               needs_document=False),
    ActionSpec("about", "&About netbuilder", needs_document=False),
)

SPECS: dict[str, ActionSpec] = {spec.name: spec for spec in ACTIONS}

#: Menu layout: action names, None for a separator, "@name" for a submenu the window fills.
MENUS: tuple[tuple[str, tuple[str | None, ...]], ...] = (
    ("&File", ("new", "open", "gallery", "@recent", None, "save", "save_as", None,
               "import_module", "export", None, "close",
               "quit")),
    ("&Edit", ("undo", "redo", None, "cut", "copy", "paste", "duplicate", "delete", None,
               "select_all", "rename", "bypass", None, "group", "ungroup", "frame", None,
               "quick_add")),
    ("&Arrange", ("layout", None, *(f"align_{how}" for how, _ in _ALIGNMENTS))),
    ("&View", ("zoom_in", "zoom_out", "zoom_reset", "fit", None, "snap", "block_previews", None,
               "@theme", None, "@docks", None, "next_document", "previous_document")),
    ("&Network", ("add_network", "rename_network", "remove_network")),
    ("&Training", ("train_start", "train_pause", "train_stop", None, "train_continue")),
    ("&Help", ("shortcuts", "about")),
)


def configure(action: QAction, spec: ActionSpec) -> QAction:
    """Gives ``action`` the shortcuts, tip and flags of ``spec``."""
    action.setShortcuts([QKeySequence(key) for key in spec.keys])
    action.setStatusTip(spec.tip)
    action.setToolTip(spec.tip or action.text().replace("&", ""))
    action.setCheckable(spec.checkable)
    action.setProperty("needs_document", spec.needs_document)
    action.setObjectName(f"action_{spec.name}")
    return action


def build_actions(parent: QWidget, slots: Mapping[str, Callable[[], object]],
                  existing: Mapping[str, QAction] | None = None) -> dict[str, QAction]:
    """Creates an action per spec (or configures one of ``existing``) and adds it to ``parent``.

    Actions added to the window keep their shortcuts working while the menu bar is hidden.
    """
    existing = existing or {}
    actions: dict[str, QAction] = {}
    for spec in ACTIONS:
        action = existing.get(spec.name)
        if action is None:
            action = QAction(spec.text, parent)
            slot = slots[spec.name]
            action.triggered.connect(lambda _=False, run=slot: run())
        configure(action, spec)
        parent.addAction(action)
        actions[spec.name] = action
    return actions


def build_menus(bar: QMenuBar, actions: Mapping[str, QAction],
                submenus: Mapping[str, Callable[[QMenu], None]]) -> dict[str, QMenu]:
    """Fills the menu bar from :data:`MENUS`; ``submenus["@x"]`` fills the entry ``@x``."""
    menus: dict[str, QMenu] = {}
    for title, entries in MENUS:
        menu = bar.addMenu(title)
        menus[title.replace("&", "")] = menu
        for entry in entries:
            if entry is None:
                menu.addSeparator()
            elif entry.startswith("@"):
                submenus[entry](menu)
            else:
                menu.addAction(actions[entry])
    return menus
