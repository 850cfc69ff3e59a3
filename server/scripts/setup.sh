#!/usr/bin/env bash
# Installs what building (and with WITH_E2E=1, end-to-end testing) Jiuzhu needs,
# skipping everything already present, and writes the environment the build
# uses to target/toolchain.env. Run by `make run` and `make test`.
#
# The WASM standard library comes from rustup's wasm32 target where it can be
# had; otherwise (no rustup target downloadable) from Debian's rustc-web with
# rust-web-src, rebuilt by cargo's -Zbuild-std and linked with Debian's lld.
# JIUZHU_WASM_TOOLCHAIN=rustup|debian forces one path.
set -euo pipefail
cd "$(dirname "$0")/../.."

CARGO_LEPTOS_VERSION=0.3.11
# The CLI must equal the wasm-bindgen crate in Cargo.lock, or the page won't hydrate.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
WITH_E2E=${WITH_E2E:-0}
TOOLS_ROOT=${CARGO_HOME:-$HOME/.cargo}
ENV_FILE=target/toolchain.env
mkdir -p target

log() { echo "setup: $*"; }
sudo_if_needed() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
have_deb() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
APT_UPDATED=0
apt_install() {
    command -v apt-get >/dev/null || { log "cannot install $* without apt-get; install them by hand"; return 1; }
    local missing=()
    for pkg in "$@"; do have_deb "$pkg" || missing+=("$pkg"); done
    ((${#missing[@]})) || return 0
    log "apt-get install ${missing[*]}"
    if [ "$APT_UPDATED" = 0 ]; then sudo_if_needed apt-get update -qq; APT_UPDATED=1; fi
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
wasm_std_present() {
    local sysroot
    sysroot=$("$1" --print sysroot 2>/dev/null) && [ -d "$sysroot/lib/rustlib/wasm32-unknown-unknown/lib" ]
}
cargo_minor() { "$1" --version 2>/dev/null | awk '{ split($2, v, "."); print v[2] + 0 }'; }

# 1. A C toolchain for crates that build C code, and Node for the build helpers.
command -v cc >/dev/null || apt_install build-essential pkg-config
command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm

# 2. The WASM standard library.
mode=${JIUZHU_WASM_TOOLCHAIN:-}
if [ -z "$mode" ]; then
    if command -v rustc >/dev/null && wasm_std_present rustc; then
        mode=rustup
    elif command -v rustup >/dev/null && timeout 120 rustup target add wasm32-unknown-unknown >/dev/null 2>&1 && wasm_std_present rustc; then
        mode=rustup
    elif command -v apt-get >/dev/null; then
        mode=debian
    else
        log "no wasm32 standard library: run 'rustup target add wasm32-unknown-unknown'"
        exit 1
    fi
fi

build_path=$PATH
if [ "$mode" = debian ]; then
    apt_install rustc-web cargo-web rust-web-src lld-22
    build_path="/usr/bin:$TOOLS_ROOT/bin:$PATH"
    test -d "$(/usr/bin/rustc --print sysroot)/lib/rustlib/src/rust/library" || { log "rust-web-src is missing"; exit 1; }
fi

# 3. cargo-leptos and wasm-bindgen, built from crates.io. cargo-leptos needs
#    cargo >= 1.96; where the default one is older, Debian's builds the tools.
install_cargo=$(PATH=$build_path command -v cargo)
if [ "$(cargo_minor "$install_cargo")" -lt 96 ]; then
    apt_install rustc-web cargo-web
    install_cargo=/usr/bin/cargo
fi
cargo_install() { # crate version binary [extra args]
    local crate=$1 version=$2 binary=$3
    shift 3
    if "$TOOLS_ROOT/bin/$binary" --version 2>/dev/null | grep -q " $version\b"; then
        return 0
    fi
    log "cargo install $crate $version (slow the first time: cargo-leptos takes about 20 minutes on 2 cores)"
    PATH="$(dirname "$install_cargo"):$PATH" "$install_cargo" install "$crate" --version "$version" --root "$TOOLS_ROOT" --force "$@"
}
# No --locked for wasm-bindgen-cli: its lockfile pins a crate version the registry may lack.
cargo_install wasm-bindgen-cli "$WASM_BINDGEN_VERSION" wasm-bindgen
cargo_install cargo-leptos "$CARGO_LEPTOS_VERSION" cargo-leptos --locked

# 4. Node packages: wasm-opt from npm's binaryen (Debian's older binaryen breaks
#    hydration), and Playwright for the end-to-end tests.
if ! { [ -x end2end/node_modules/.bin/wasm-opt ] && [ end2end/node_modules/.package-lock.json -nt end2end/package-lock.json ]; }; then
    log "npm ci in end2end/"
    (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi

# 5. Debian's Chromium (a test tool's own browser download cannot work here).
if [ "$WITH_E2E" = 1 ]; then
    if ! command -v chromium >/dev/null; then
        apt_install chromium fonts-liberation fonts-noto-cjk
    fi
fi

# 6. What the build needs, for the Makefile to source.
{
    echo "# written by server/scripts/setup.sh ($mode)"
    echo "export PATH=\"$PWD/end2end/node_modules/.bin:$build_path\""
    echo "export CARGO_LEPTOS=\"$TOOLS_ROOT/bin/cargo-leptos\""
    if [ "$mode" = debian ]; then
        echo "export RUSTC_BOOTSTRAP=1"
        echo "export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-22"
        echo "export JIUZHU_LEPTOS_ARGS=\"--lib-cargo-args=-Zbuild-std=std,panic_abort\""
    else
        echo "export JIUZHU_LEPTOS_ARGS="
    fi
} > "$ENV_FILE"
log "ready ($mode toolchain; wasm-bindgen $WASM_BINDGEN_VERSION, cargo-leptos $CARGO_LEPTOS_VERSION)"
