# shellcheck shell=bash
# Gives the engine gVisor's runtime (`runsc`) where we can: installs Debian's runsc package,
# registers it in daemon.json (merged with what is there) and has the running dockerd reload it.
# Where we cannot (not root, no apt, an engine elsewhere), says so in one line: sandboxes then run
# under runc (sandbox.runtime: auto). Sourced by setup.sh after lib/docker-engine.sh.

GVISOR_RUNTIME=runsc
DOCKERD_CONFIG=${TOOL_EXECUTOR_DOCKERD_CONFIG:-/etc/docker/daemon.json}
DOCKERD_RELOAD_TIMEOUT_S=${TOOL_EXECUTOR_DOCKERD_RELOAD_TIMEOUT_S:-15}

# The runtimes the engine itself lists: what `sandbox.runtime: auto` goes by.
# A loaded engine can be slow to answer `docker info`: a failed answer is asked again (three times),
# so only an engine that answers without the runtime is taken to lack it.
engine_has_runtime() {
  local runtimes attempt
  for attempt in 1 2 3; do
    if runtimes=$(timeout 20 docker info --format '{{range $name, $_ := .Runtimes}}{{$name}}{{"\n"}}{{end}}' 2>/dev/null); then
      grep -qx "$1" <<<"$runtimes"
      return
    fi
    [ "$attempt" -lt 3 ] && sleep 2
  done
  return 1
}

ensure_gvisor_runtime() {
  if engine_has_runtime "$GVISOR_RUNTIME"; then
    log_step "gVisor: the engine has the runsc runtime"
    return
  fi
  if [ "$(id -u)" -ne 0 ] || ! docker_host_is_local_default; then
    log_warn "gVisor: not set up (installing runsc and registering it with the engine needs root and a local engine); sandboxes run under runc"
    return
  fi
  install_runsc_package || return 0
  register_runsc || return 0
  reload_dockerd_runtimes
}

install_runsc_package() {
  command -v runsc >/dev/null && return 0
  if ! command -v apt-get >/dev/null; then
    log_warn "gVisor: runsc is not installed and apt-get is not available to install it; sandboxes run under runc"
    return 1
  fi
  log_step "gVisor: installing Debian's runsc with apt-get"
  local apt_log
  apt_log=$(mktemp)
  # The package lists may be missing (a fresh machine) or stale: update once, only if needed.
  if ! { apt-get install -y -qq runsc || { apt-get update -qq && apt-get install -y -qq runsc; }; } \
    </dev/null >"$apt_log" 2>&1 || ! command -v runsc >/dev/null; then
    tail -n 5 "$apt_log" >&2
    rm -f "$apt_log"
    log_warn "gVisor: apt-get could not install runsc; sandboxes run under runc"
    return 1
  fi
  rm -f "$apt_log"
}

# The containers have no network anyway; --network=none also keeps gVisor's own netstack out.
# --oci-seccomp: without it runsc ignores the container's seccomp profile, and the engine's default
# profile (a wall of SPEC §5) would not hold inside gVisor's kernel.
register_runsc() {
  local outcome
  mkdir -p "$(dirname "$DOCKERD_CONFIG")"
  if ! outcome=$(node "$script_dir/lib/daemon-json.mjs" "$DOCKERD_CONFIG" "$GVISOR_RUNTIME" "$(command -v runsc)" --network=none --oci-seccomp); then
    log_warn "gVisor: could not register runsc in $DOCKERD_CONFIG (see above); sandboxes run under runc"
    return 1
  fi
  case "$outcome" in
    added) log_step "gVisor: registered runsc in $DOCKERD_CONFIG" ;;
    *) log_step "gVisor: $DOCKERD_CONFIG already names a runsc runtime; kept as it is" ;;
  esac
}

# SIGHUP makes dockerd reload daemon.json's `runtimes` without a restart: containers keep running.
reload_dockerd_runtimes() {
  local pid deadline
  pid=$(cat /var/run/docker.pid 2>/dev/null) || pid=
  if [ -z "$pid" ] || ! kill -HUP "$pid" 2>/dev/null; then
    log_warn "gVisor: runsc is registered, but no dockerd was found to reload it (restart the engine to use it); sandboxes run under runc"
    return
  fi
  deadline=$((SECONDS + DOCKERD_RELOAD_TIMEOUT_S))
  until engine_has_runtime "$GVISOR_RUNTIME"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log_warn "gVisor: dockerd did not load the runsc runtime from $DOCKERD_CONFIG (its log says why); sandboxes run under runc"
      return
    fi
    sleep 0.5
  done
  log_step "gVisor: the engine has the runsc runtime"
}
