#!/usr/bin/env bash
# Installs what the real-VS-Code e2e suite (test/e2e) needs on a fresh Debian machine, as root:
#   - Debian packages: native-build headers for code-server's modules, ripgrep, chromium;
#   - code-server (a real VS Code 1.100 server + browser workbench) into a cache folder;
#   - playwright-core (drives Debian's /usr/bin/chromium) into the same cache folder.
# Nothing goes into the repository's node_modules. A stamp file makes a second run a no-op.
#
#   RELAY_E2E_CACHE   cache folder (default: $HOME/.cache/relay-e2e)
#   RELAY_E2E_FORCE=1 reinstall the npm parts even when the stamp says they are there
#
# Works under `set -euo pipefail` and with CI=true. Safe to run again and again.
set -euo pipefail

CODE_SERVER_VERSION="4.100.3"    # newest code-server whose engines accept Node 20 (VS Code 1.100)
PLAYWRIGHT_CORE_VERSION="1.65.1" # keep in sync with PLAYWRIGHT_CORE_VERSION in test/e2e/harness.ts
# code-server 4.100.3 bundles @vscode/ripgrep 1.15.11, whose postinstall looks for this tarball
# in os.tmpdir() before it tries to download rg from GitHub (which this machine cannot reach).
RIPGREP_PKG_VERSION="1.15.11"
RIPGREP_ASSET="ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
APT_PACKAGES=(libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config ripgrep chromium)

CACHE="${RELAY_E2E_CACHE:-${HOME:-/root}/.cache/relay-e2e}"
CS_DIR="$CACHE/code-server"
CS_BIN="$CS_DIR/node_modules/.bin/code-server"
PW_DIR="$CACHE/playwright"
STAMP="$CACHE/setup.stamp"
STAMP_CONTENT="code-server=$CODE_SERVER_VERSION playwright-core=$PLAYWRIGHT_CORE_VERSION node=$(node -p 'process.versions.modules')"

log() { printf '[e2e-setup] %s\n' "$*"; }
start_time=$(date +%s)

missing_apt=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing_apt+=("$pkg")
  fi
done

cs_ok() { [ -x "$CS_BIN" ] && [ -f "$CS_DIR/.relay-installed" ] && [ "$(cat "$CS_DIR/.relay-installed")" = "$CODE_SERVER_VERSION" ]; }
pw_ok() { [ -f "$PW_DIR/node_modules/playwright-core/package.json" ] && [ "$(node -p "require('$PW_DIR/node_modules/playwright-core/package.json').version")" = "$PLAYWRIGHT_CORE_VERSION" ]; }

if [ "${RELAY_E2E_FORCE:-0}" != "1" ] && [ ${#missing_apt[@]} -eq 0 ] && [ -f "$STAMP" ] \
  && [ "$(cat "$STAMP")" = "$STAMP_CONTENT" ] && cs_ok && pw_ok; then
  log "already set up in $CACHE ($STAMP_CONTENT); nothing to do"
  exit 0
fi
rm -f "$STAMP"

# 1. Debian packages (skipped when all are installed).
if [ ${#missing_apt[@]} -eq 0 ]; then
  log "Debian packages already installed: ${APT_PACKAGES[*]}"
else
  SUDO=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=(sudo); else
      log "missing Debian packages (${missing_apt[*]}) and not root, no sudo: install them first"; exit 1
    fi
  fi
  log "installing Debian packages: ${missing_apt[*]}"
  "${SUDO[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -q "${missing_apt[@]}"
fi
for exe in /usr/bin/chromium rg; do
  command -v "$exe" >/dev/null 2>&1 || { log "expected $exe after apt-get install"; exit 1; }
done

mkdir -p "$CACHE"

# 2. code-server, with npm, into $CS_DIR (a local install in a package folder of its own: with
#    `--global --prefix`, npm_config_global leaks into code-server's postinstall, whose nested
#    `npm install` in lib/vscode then fails with ENOTEMPTY).
if [ "${RELAY_E2E_FORCE:-0}" != "1" ] && cs_ok; then
  log "code-server $CODE_SERVER_VERSION already in $CS_DIR"
else
  log "installing code-server@$CODE_SERVER_VERSION into $CS_DIR (about a minute or two)"
  rm -rf "$CS_DIR"
  mkdir -p "$CS_DIR"
  printf '{ "name": "relay-e2e-code-server", "private": true }\n' >"$CS_DIR/package.json"
  # The ripgrep trick: a tarball holding Debian's rg at its root, where @vscode/ripgrep looks first.
  RG_TMP="$CACHE/tmp"
  mkdir -p "$RG_TMP/vscode-ripgrep-cache-$RIPGREP_PKG_VERSION"
  rg_stage="$(mktemp -d "$RG_TMP/rg-stage.XXXXXX")"
  cp "$(command -v rg)" "$rg_stage/rg"
  tar -czf "$RG_TMP/vscode-ripgrep-cache-$RIPGREP_PKG_VERSION/$RIPGREP_ASSET" -C "$rg_stage" rg
  rm -rf "$rg_stage"
  # Root installs: postinstall refuses to run as root without unsafe-perm; node-pty's install
  # runs `npx node-gyp`, which must not prompt.
  TMPDIR="$RG_TMP" \
  npm_config_unsafe_perm=true \
  npm_config_yes=true \
  npm_config_fund=false \
  npm_config_audit=false \
  npm_config_update_notifier=false \
    npm install --prefix "$CS_DIR" --no-save --loglevel=warn "code-server@$CODE_SERVER_VERSION"
  "$CS_BIN" --version >/dev/null
  # the server's own rg must be an executable (from our tarball), not a failed download
  rg_found="$(find "$CS_DIR/node_modules/code-server" -path '*@vscode/ripgrep/bin/rg' -type f | head -n1)"
  if [ -z "$rg_found" ] || ! "$rg_found" --version >/dev/null 2>&1; then
    log "warning: no working @vscode/ripgrep/bin/rg inside code-server (search in files will not work)"
  fi
  echo "$CODE_SERVER_VERSION" >"$CS_DIR/.relay-installed"
  log "code-server: $("$CS_BIN" --version | head -n1)"
fi

# 3. playwright-core into $PW_DIR (no browser download: it drives Debian's chromium).
if [ "${RELAY_E2E_FORCE:-0}" != "1" ] && pw_ok; then
  log "playwright-core $PLAYWRIGHT_CORE_VERSION already in $PW_DIR"
else
  log "installing playwright-core@$PLAYWRIGHT_CORE_VERSION into $PW_DIR"
  rm -rf "$PW_DIR"
  mkdir -p "$PW_DIR"
  printf '{ "name": "relay-e2e-playwright", "private": true }\n' >"$PW_DIR/package.json"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false \
    npm install --prefix "$PW_DIR" --no-save --loglevel=warn "playwright-core@$PLAYWRIGHT_CORE_VERSION"
  pw_ok || { log "playwright-core did not install"; exit 1; }
fi

echo "$STAMP_CONTENT" >"$STAMP"
log "done in $(($(date +%s) - start_time))s: code-server $CS_BIN, playwright-core $PW_DIR/node_modules/playwright-core, chromium $(/usr/bin/chromium --version 2>/dev/null | head -n1)"
