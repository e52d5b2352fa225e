#!/usr/bin/env bash
# Installs what the real-VS-Code tests (test/e2e) drive: code-server (a real VS Code build
# with a browser workbench), playwright-core (to drive Debian's Chromium) and @vscode/vsce
# (to package the extension), all from the npm registry, into one prefix folder.
#
#   E2E_PREFIX   where to install (default /opt/vscode-e2e; test/e2e/harness.mjs reads the same variable)
#
# Only the npm registry and the Debian mirrors are reached. Run it again at will: once the
# prefix is complete, a run only checks it (a few seconds).
set -euo pipefail

prefix="${E2E_PREFIX:-/opt/vscode-e2e}"
# code-server 4.100.x is the last line that runs on Node 20; vsce 4.x wants Node 22.
readonly code_server_version=4.100.3
readonly playwright_version=1.65.1
readonly vsce_version=3.9.1
readonly debian_packages=(chromium ripgrep build-essential python3 pkg-config libkrb5-dev libsecret-1-dev libx11-dev
  libxkbfile-dev fonts-dejavu-core)

started=$SECONDS
say() { echo "e2e-install [$((SECONDS - started))s]: $*"; }
fail() { echo "e2e-install: $*" >&2; exit 1; }
# The first line of a command's output. Reading all of it (no `| head -1`) keeps the writer
# from dying of SIGPIPE, which pipefail turns into a failed script.
first_line() { local out; out="$("$@")"; printf '%s\n' "${out%%$'\n'*}"; }

vscode_dir="$prefix/node_modules/code-server/lib/vscode"
bundled_rg="$vscode_dir/node_modules/@vscode/ripgrep/bin/rg"

package_version() { node -p "require(process.argv[1]).version" "$prefix/node_modules/$1/package.json" 2>/dev/null || true; }

# Complete means: the three pinned versions, VS Code's own rg runs, node-pty's native module
# was built, and the packed node_modules.asar the server loads exists.
prefix_complete() {
  [ "$(package_version code-server)" = "$code_server_version" ] &&
    [ "$(package_version playwright-core)" = "$playwright_version" ] &&
    [ "$(package_version @vscode/vsce)" = "$vsce_version" ] &&
    "$bundled_rg" --version >/dev/null 2>&1 &&
    [ -f "$vscode_dir/node_modules/node-pty/build/Release/pty.node" ] &&
    [ -e "$vscode_dir/node_modules.asar" ]
}

install_debian_packages() {
  local missing=() p
  for p in "${debian_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || fail "missing Debian packages (install them as root): ${missing[*]}"
  say "apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

check_node() {
  command -v node >/dev/null || fail 'node is not installed (Node 20 is needed)'
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  [ "$major" = 20 ] || fail "code-server $code_server_version installs only under Node 20, this is $(node -v)"
}

# @vscode/ripgrep's postinstall fetches an rg release from GitHub, which is unreachable here,
# but it first looks for the archive in $TMPDIR/vscode-ripgrep-cache-<its version>/. We read
# which @vscode/ripgrep code-server pins and which release tag that one fetches, then put an
# archive of that name holding Debian's rg (the same upstream program) where it will look.
seed_ripgrep_cache() {
  local tmp="$1" work="$1/rg-seed" arch tarball ripgrep_version release_tag
  rm -rf "$work" && mkdir -p "$work/bin"
  tarball="$(cd "$work" && npm pack --silent "code-server@$code_server_version")"
  tar -xzf "$work/${tarball##*$'\n'}" -C "$work" package/lib/vscode/npm-shrinkwrap.json
  ripgrep_version="$(node -p "require(process.argv[1]).packages['node_modules/@vscode/ripgrep'].version" \
    "$work/package/lib/vscode/npm-shrinkwrap.json")"
  rm -rf "$work/package"
  tarball="$(cd "$work" && npm pack --silent "@vscode/ripgrep@$ripgrep_version")"
  tar -xzf "$work/${tarball##*$'\n'}" -C "$work" package/lib/postinstall.js
  release_tag="$(sed -n "s/^const VERSION = '\([^']*\)'.*/\1/p" "$work/package/lib/postinstall.js")"
  [ -n "$release_tag" ] || fail "no ripgrep release tag found in @vscode/ripgrep@$ripgrep_version"
  case "$(uname -m)" in
    x86_64) arch=x86_64-unknown-linux-musl ;;
    aarch64) arch=aarch64-unknown-linux-musl ;;
    *) fail "no ripgrep seed for $(uname -m)" ;;
  esac
  cp /usr/bin/rg "$work/bin/rg"
  mkdir -p "$tmp/vscode-ripgrep-cache-$ripgrep_version"
  tar -czf "$tmp/vscode-ripgrep-cache-$ripgrep_version/ripgrep-$release_tag-$arch.tar.gz" -C "$work/bin" rg
  say "ripgrep cache seeded with Debian's $(first_line /usr/bin/rg --version) as $release_tag ($arch)"
  rm -rf "$work"
}

npm_install_prefix() {
  local tmp="$prefix/.tmp"
  mkdir -p "$tmp" "$prefix/.xdg/config" "$prefix/.xdg/data"
  seed_ripgrep_cache "$tmp"
  cat >"$prefix/package.json" <<JSON
{
  "name": "gradient-lens-e2e-harness",
  "private": true,
  "description": "Written by gradient-lens scripts/e2e-install.sh",
  "dependencies": { "code-server": "$code_server_version", "playwright-core": "$playwright_version", "@vscode/vsce": "$vsce_version" }
}
JSON
  say "npm install in $prefix (builds native modules: a few minutes)"
  # unsafe_perm: code-server's postinstall refuses root without it; yes: node-pty's postinstall
  # calls npx node-gyp, which otherwise asks; allow_all_scripts: the native builds must run;
  # the XDG dirs keep code-server's config out of the user's home.
  (cd "$prefix" && env TMPDIR="$tmp" XDG_CONFIG_HOME="$prefix/.xdg/config" XDG_DATA_HOME="$prefix/.xdg/data" \
    npm_config_unsafe_perm=true npm_config_yes=true npm_config_dangerously_allow_all_scripts=true \
    npm_config_update_notifier=false PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 PYTHON=/usr/bin/python3 \
    npm install --no-audit --no-fund --omit=dev --loglevel=warn)
}

install_debian_packages
[ -x /usr/bin/rg ] || fail '/usr/bin/rg is missing (Debian package ripgrep)'
[ -x /usr/bin/chromium ] || fail '/usr/bin/chromium is missing (Debian package chromium)'
check_node

if prefix_complete; then
  say "already complete in $prefix"
else
  mkdir -p "$prefix"
  # A failed install (a registry hiccup, an interrupted native build) usually succeeds the second
  # time. Each attempt runs in a subshell with errexit of its own: in an `if` or `&&` list bash
  # would ignore `set -e` inside the functions and carry on past a failed step.
  for attempt in 1 2; do
    set +e
    (set -e; npm_install_prefix)
    status=$?
    set -e
    [ "$status" = 0 ] && prefix_complete && break
    [ "$attempt" = 2 ] && fail "the install in $prefix is still incomplete after a retry"
    say 'install failed or incomplete; removing code-server and trying once more'
    rm -rf "$prefix/node_modules/code-server"
  done
fi

say "OK: code-server $(package_version code-server), playwright-core $(package_version playwright-core)," \
  "@vscode/vsce $(package_version @vscode/vsce), VS Code's rg: $(first_line "$bundled_rg" --version)"
