#!/usr/bin/env bash
# Sets up netbuilder on a fresh machine and runs it or its checks.
#
#   bash packaging/setup.sh app [FILE]    install into a virtual environment and open the app
#   bash packaging/setup.sh test [ARGS]   install with the dev tools; run pytest (ARGS go to
#                                         pytest), then lint-imports, then ruff, then mypy
#
# What it does, each step skipped when already done:
#   1. system libraries Qt needs (apt-get, as root or through sudo; skipped without apt);
#   2. python3-venv, when `python3 -m venv` cannot work;
#   3. a virtual environment at ${NETBUILDER_VENV:-.venv}, reused when it exists;
#   4. PyTorch, the build that fits the machine (below);
#   5. pip install -c packaging/constraints.txt -e ".[dev,onnx,tensorboard]" (test) or
#      ".[onnx]" (app: File > Export > ONNX needs the onnx extra).
#
# Environment: NETBUILDER_VENV (the venv folder), PYTHON (the interpreter to build it from,
# default python3), NETBUILDER_SKIP_APT=1 (never touch system packages), and for PyTorch:
#   NETBUILDER_TORCH=auto   (default) cuda when nvidia-smi lists a GPU, else cpu
#   NETBUILDER_TORCH=cpu    the CPU-only build: taken from a local wheel when pip finds one,
#                           else from the index in NETBUILDER_TORCH_INDEX (PyTorch's CPU
#                           wheel index, whose address PyTorch's install page gives); without
#                           either, pip can only find the CUDA build and setup says so
#   NETBUILDER_TORCH=cuda   the build pip finds (on Linux, PyTorch's default wheel bundles
#                           CUDA: several gigabytes)
#   NETBUILDER_TORCH=keep   keep the torch already in the venv (your own CUDA build)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] FAILED: %s\n' "$1" >&2; exit "${2:-1}"; }

usage() {
    cat >&2 <<'EOF'
usage: bash packaging/setup.sh app [FILE]     set up and open the app
       bash packaging/setup.sh test [ARGS]    set up and run pytest, lint-imports, ruff and mypy
EOF
    exit 2
}

[ $# -ge 1 ] || usage
MODE="$1"
shift
case "$MODE" in
    app|test) ;;
    -h|--help|help) usage ;;
    *) printf '[setup] unknown mode: %s\n' "$MODE" >&2; usage ;;
esac

START=$SECONDS
NEW_VENV=0
PYTHON="${PYTHON:-python3}"
VENV="${NETBUILDER_VENV:-.venv}"
export DEBIAN_FRONTEND=noninteractive
export PIP_DISABLE_PIP_VERSION_CHECK=1

# ----- system packages --------------------------------------------------------------------
# Debian package -> a shared library it provides. The offscreen set is enough for Qt with
# QT_QPA_PLATFORM=offscreen (the tests); a real window on X11 also needs the xcb set (Qt blames
# xcb-cursor0 when one is missing, whichever it is).
OFFSCREEN_LIBS=(
    "libglib2.0-0:libglib-2.0.so.0"
    "libgl1:libGL.so.1"
    "libegl1:libEGL.so.1"
    "libxkbcommon0:libxkbcommon.so.0"
    "libfontconfig1:libfontconfig.so.1"
    "libdbus-1-3:libdbus-1.so.3"
)
X11_LIBS=(
    "libxkbcommon-x11-0:libxkbcommon-x11.so.0"
    "libxcb-cursor0:libxcb-cursor.so.0"
    "libxcb-icccm4:libxcb-icccm.so.4"
    "libxcb-keysyms1:libxcb-keysyms.so.1"
    "libxcb-shape0:libxcb-shape.so.0"
    "libxcb-randr0:libxcb-randr.so.0"
    "libxcb-render-util0:libxcb-render-util.so.0"
    "libxcb-image0:libxcb-image.so.0"
    "libxcb-xinerama0:libxcb-xinerama.so.0"
)

LDCONFIG_CACHE=""
have_library() {
    if [ -z "$LDCONFIG_CACHE" ]; then
        local ldconfig
        ldconfig="$(command -v ldconfig || true)"
        [ -n "$ldconfig" ] || { [ -x /sbin/ldconfig ] && ldconfig=/sbin/ldconfig; }
        [ -n "$ldconfig" ] || return 1
        LDCONFIG_CACHE="$("$ldconfig" -p 2>/dev/null || true)"
    fi
    grep -qF -- "$1 " <<<"$LDCONFIG_CACHE"
}

SUDO=()
APT_UPDATED=0
APT_OK=""
can_apt() {
    # Sets SUDO and answers whether apt-get can install; says why not, once.
    if [ -n "$APT_OK" ]; then [ "$APT_OK" = yes ]; return; fi
    APT_OK=no
    if [ "${NETBUILDER_SKIP_APT:-0}" = 1 ]; then
        say "NETBUILDER_SKIP_APT=1: not installing system packages"
    elif ! command -v apt-get >/dev/null 2>&1; then
        say "no apt-get here: install the packages above with your system's package manager"
    elif [ "$(id -u)" -eq 0 ]; then
        APT_OK=yes
    elif command -v sudo >/dev/null 2>&1 && { [ -t 0 ] || sudo -n true 2>/dev/null; }; then
        # A terminal can answer sudo's password prompt; CI (no stdin) needs passwordless sudo.
        SUDO=(sudo)
        APT_OK=yes
    else
        say "not root and no usable sudo: run 'sudo apt-get install $*' yourself"
    fi
    [ "$APT_OK" = yes ]
}

apt_install() {
    can_apt "$@" || return 0
    if [ "$APT_UPDATED" = 0 ]; then
        say "apt-get update"
        "${SUDO[@]}" apt-get update -qq || die "apt-get update failed (no network?)"
        APT_UPDATED=1
    fi
    say "apt-get install $*"
    "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
        || die "apt-get install $* failed"
    LDCONFIG_CACHE=""
}

ensure_system_libraries() {
    local wanted=("${OFFSCREEN_LIBS[@]}") missing=() entry
    [ "$MODE" = app ] && wanted+=("${X11_LIBS[@]}")
    for entry in "${wanted[@]}"; do
        have_library "${entry#*:}" || missing+=("${entry%%:*}")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        say "system libraries: all present"
        return
    fi
    say "system libraries missing: ${missing[*]}"
    apt_install "${missing[@]}"
}

# ----- Python and the virtual environment -----------------------------------------------------
ensure_python() {
    command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found: install Python 3.10 or newer"
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
        || die "netbuilder needs Python 3.10 or newer; $PYTHON is $("$PYTHON" -V 2>&1)"
}

venv_works() {
    [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import pip' >/dev/null 2>&1
}

ensure_venv() {
    if venv_works; then
        say "virtual environment: reusing $VENV ($("$VENV/bin/python" -V 2>&1))"
        return
    fi
    # Debian's python3 lacks ensurepip until python3-venv is installed; venv then fails
    # half-way, so check first.
    if ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
        local version
        version="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
        say "$PYTHON cannot make virtual environments: installing python$version-venv"
        apt_install "python$version-venv"
        "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1 \
            || die "$PYTHON -m venv cannot work: install python$version-venv (Debian/Ubuntu)"
    fi
    say "virtual environment: creating $VENV"
    NEW_VENV=1
    "$PYTHON" -m venv --clear "$VENV" || die "$PYTHON -m venv $VENV failed"
}

# ----- PyTorch -------------------------------------------------------------------------------
TORCH_PIN="$(sed -n 's/^torch==\([^ ;#]*\).*/\1/p' packaging/constraints.txt)"

installed_torch() {
    # "2.13.0+cpu cpu" or "2.11.0 cuda 12.8"; empty when the venv has no torch.
    "$VENV/bin/python" -c 'import torch; c = torch.version.cuda
print(torch.__version__, "cuda " + c if c else "cpu")' 2>/dev/null || true
}

offered_torch() {
    # The torch version pip would install now (no download beyond metadata).
    local report
    report="$(mktemp)"
    "$VENV/bin/python" -m pip install --quiet --dry-run --ignore-installed --no-deps \
        --report "$report" "torch==$TORCH_PIN" "$@" >/dev/null 2>&1 || true
    "$VENV/bin/python" -c 'import json, sys
try:
    print(json.load(open(sys.argv[1]))["install"][0]["metadata"]["version"])
except (OSError, ValueError, LookupError):
    pass' "$report"
    rm -f "$report"
}

ensure_torch() {
    local want="${NETBUILDER_TORCH:-auto}" have offered
    case "$want" in
        auto)
            if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>/dev/null | grep -q GPU
            then want=cuda; else want=cpu; fi
            say "PyTorch: $want build (NETBUILDER_TORCH=auto; set cpu, cuda or keep to choose)" ;;
        cpu|cuda|keep) ;;
        *) die "NETBUILDER_TORCH=$want: use auto, cpu, cuda or keep" 2 ;;
    esac
    have="$(installed_torch)"
    if [ "$want" = keep ]; then
        [ -n "$have" ] || die "NETBUILDER_TORCH=keep, but $VENV has no torch" 2
        say "PyTorch: keeping torch $have"
        return
    fi
    case "$have" in
        "$TORCH_PIN"*" $want"*) say "PyTorch: torch $have already installed"; return ;;
    esac
    if [ "$want" = cpu ]; then
        offered="$(offered_torch)"
        if [[ "$offered" != *+cpu ]] && [ -n "${NETBUILDER_TORCH_INDEX:-}" ]; then
            say "PyTorch: torch==$TORCH_PIN from NETBUILDER_TORCH_INDEX (CPU only)"
            "$VENV/bin/python" -m pip install --quiet --index-url "$NETBUILDER_TORCH_INDEX" \
                "torch==$TORCH_PIN" || die "pip could not install torch from NETBUILDER_TORCH_INDEX"
            return
        fi
        if [[ "$offered" != *+cpu ]]; then
            say "PyTorch: pip finds no CPU-only build of torch $TORCH_PIN here, only the one" \
                "that bundles CUDA (several GB). For the CPU-only build, set" \
                "NETBUILDER_TORCH_INDEX to PyTorch's CPU wheel index (PyTorch's install page" \
                "gives it); going on with the CUDA build"
        fi
    fi
    say "PyTorch: pip install torch==$TORCH_PIN"
    "$VENV/bin/python" -m pip install --quiet -c packaging/constraints.txt "torch==$TORCH_PIN" \
        || die "pip could not install torch==$TORCH_PIN (see pip's message above)"
}

install_packages() {
    local target=(".[onnx]") note=""
    [ "$MODE" = test ] && target=(-e ".[dev,onnx,tensorboard]")
    [ "$NEW_VENV" = 1 ] && note=" (about a minute into a new venv)"
    say "pip install -c packaging/constraints.txt ${target[*]}$note"
    local constraints=(-c packaging/constraints.txt)
    if [ "${NETBUILDER_TORCH:-auto}" = keep ]; then
        # The pin would replace the user's own torch: leave torch to pyproject's range.
        constraints=(-c <(grep -v '^torch==' packaging/constraints.txt))
    fi
    "$VENV/bin/python" -m pip install --quiet "${constraints[@]}" "${target[@]}" \
        || die "pip install failed (see pip's message above)"
    say "PyTorch in the venv: torch $(installed_torch)"
}

# ----- the two modes ---------------------------------------------------------------------------
step() {
    # Runs one check; stops the whole run at the first failure with its exit code.
    local name="$1"
    shift
    say "running $name"
    local code=0
    "$@" || code=$?
    [ "$code" -eq 0 ] || die "$name failed (exit $code)" "$code"
}

ensure_python
ensure_system_libraries
ensure_venv
ensure_torch
install_packages
say "ready in $((SECONDS - START)) s"

case "$MODE" in
    app)
        if [ "$(uname -s)" = Linux ] && [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}${QT_QPA_PLATFORM:-}" ]
        then
            # Qt would abort with a long plugin message; say plainly what is missing.
            say "no DISPLAY or WAYLAND_DISPLAY: the window has no screen to open on" \
                "(ssh -X, Xvfb, or QT_QPA_PLATFORM=offscreen to run it headless)"
        fi
        say "starting netbuilder $*"
        exec "$VENV/bin/netbuilder" "$@"
        ;;
    test)
        step "pytest" "$VENV/bin/python" -m pytest "$@"
        step "lint-imports" "$VENV/bin/lint-imports"
        step "ruff" "$VENV/bin/ruff" check netbuilder tests
        # Files and per-module strictness: [tool.mypy] in pyproject.toml.
        step "mypy" "$VENV/bin/mypy"
        say "all checks passed in $((SECONDS - START)) s"
        ;;
esac
