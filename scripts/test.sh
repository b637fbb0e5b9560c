#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# npm test: set-up, then every test under runc, then the sandbox's wall tests and the security
# tests a second time under gVisor (runsc) where the engine has it, since gVisor's own kernel
# answers some of their probes differently. Fails if either pass fails. With TE_REQUIRE_RUNSC=1
# (CI), an engine without runsc is a failure rather than a warning.
set -uo pipefail

LOG_TAG=test
script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$script_dir/lib/log.sh"
source "$script_dir/lib/docker-engine.sh"
source "$script_dir/lib/gvisor.sh"

repo_root=$(cd "$script_dir/.." && pwd)
mocha=$repo_root/node_modules/.bin/mocha
# The second pass: the engine's tests (walls with the pool off), the pool's walls, the security tests.
RUNSC_SPECS=('dist/test/engine/*.test.js' 'dist/test/pool/walls.test.js' 'dist/test/security/**/*.test.js')

# .mocharc.json's options without its spec: mocha adds a config's spec to the files it is given.
run_runsc_pass() {
  local config status=0
  config=$(mktemp --suffix=.json)
  node -e 'const c = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); delete c.spec; console.log(JSON.stringify(c))' \
    "$repo_root/.mocharc.json" >"$config" || { rm -f "$config"; return 1; }
  TE_TEST_RUNTIME=runsc "$mocha" --config "$config" "${RUNSC_SPECS[@]}" || status=1
  rm -f "$config"
  return "$status"
}

engine_answers_within() {
  local deadline=$((SECONDS + $1))
  until docker_engine_answers; do
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 1
  done
}

main() {
  bash "$script_dir/setup.sh" || exit $?
  cd "$repo_root" || exit 1
  local status=0

  log_step "first pass: every test, sandboxes under runc"
  TE_TEST_RUNTIME=runc "$mocha" || status=1

  # The engine may be restarting (an engine shared with others, or restarted by a test): let it
  # answer before asking it for its runtimes.
  if ! engine_answers_within "$DOCKERD_START_TIMEOUT_S"; then
    printf '[%s] error: %s\n' "$LOG_TAG" "the Docker engine does not answer after the first pass; the runsc pass cannot run" >&2
    status=1
  elif engine_has_runtime "$GVISOR_RUNTIME"; then
    log_step "second pass: the wall and security tests, sandboxes under gVisor (runsc)"
    run_runsc_pass || status=1
  elif [ "${TE_REQUIRE_RUNSC:-0}" = 1 ]; then
    printf '[%s] error: %s\n' "$LOG_TAG" "the engine has no runsc runtime, and TE_REQUIRE_RUNSC=1 asks for the gVisor pass (see setup's gVisor line above)" >&2
    status=1
  else
    log_warn "the engine has no runsc runtime (see setup's gVisor line above): the wall and security tests ran under runc only, not under gVisor"
  fi
  return "$status"
}

main "$@"
