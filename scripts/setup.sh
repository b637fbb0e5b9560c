#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# npm run setup (SPEC §1): makes a fresh clone ready to serve and test, and is quick when all is
# done. Steps: a Docker engine that answers (installed with apt and started when root), gVisor's
# runtime registered with it where we can, npm dependencies, the TypeScript build, the admin
# console, the runner image, the bundled registry, and chromium for the console's browser tests.
set -euo pipefail

LOG_TAG=setup
script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$script_dir/lib/log.sh"
source "$script_dir/lib/docker-engine.sh"
source "$script_dir/lib/gvisor.sh"
source "$script_dir/lib/browser.sh"

repo_root=$(cd "$script_dir/.." && pwd)

main() {
  local started=$SECONDS
  cd "$repo_root"
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    log_fail "Node.js 20+ and npm are required"
  fi

  ensure_docker_engine
  ensure_gvisor_runtime
  install_npm_dependencies
  install_tool_dependencies
  build_typescript
  build_console
  bash "$script_dir/build-runner-image.sh"
  pack_registry
  ensure_test_browser
  log_step "ready in $((SECONDS - started))s"
}

# npm ci only when node_modules is missing or older than the lock file: it wipes node_modules
# and takes tens of seconds.
install_npm_dependencies() {
  if [ -f node_modules/.package-lock.json ] && ! [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log_step "npm dependencies are up to date"
    return
  fi
  log_step "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund
}

# tools/: the linter, the OpenAPI lint and client generator, the MCP inspector. They still need
# TypeScript 5's JavaScript API, which the server's TypeScript 7 no longer has, so they live apart.
install_tool_dependencies() {
  if [ -f tools/node_modules/.package-lock.json ] && ! [ tools/package-lock.json -nt tools/node_modules/.package-lock.json ]; then
    log_step "tool dependencies are up to date"
    return
  fi
  log_step "installing tool dependencies (npm ci in tools/)"
  npm ci --prefix tools --no-audit --no-fund
}

build_typescript() {
  log_step "building the server (tsc)"
  remove_orphaned_outputs
  # The local tsc itself: npx would only add npm's start-up time.
  node_modules/.bin/tsc -p tsconfig.json
}

# The console (ui/): type-checked on its own (DOM, JSX), then bundled into dist/ui/ by esbuild.
build_console() {
  log_step "building the console (ui/)"
  node_modules/.bin/tsc -p ui/tsconfig.json
  node dist/scripts/build-ui.js
}

# tsc never deletes the output of a source that was removed or renamed; left in dist/, an old
# test would still run under mocha and an old module could still be imported.
remove_orphaned_outputs() {
  [ -d dist ] || return 0
  local output source
  while IFS= read -r -d '' output; do
    source=${output#dist/}
    source=${source%.js}.ts
    [ -f "$source" ] || rm -f "$output" "$output.map" "${output%.js}.d.ts"
  done < <(find dist -path dist/ui -prune -o -name '*.js' -print0)
}

pack_registry() {
  [ -f dist/scripts/pack-registry.js ] || return 0
  log_step "packing the bundled registry"
  node dist/scripts/pack-registry.js
}

main "$@"
