# shellcheck shell=bash
# Makes sure a Docker engine answers: installs Debian's docker.io and starts dockerd when we are
# root with apt, or says what to do otherwise. Sourced by setup.sh after lib/log.sh.

DOCKERD_LOG=${TOOL_EXECUTOR_DOCKERD_LOG:-/var/log/tool-executor-dockerd.log}
DOCKERD_START_TIMEOUT_S=${TOOL_EXECUTOR_DOCKERD_START_TIMEOUT_S:-60}

# The engine, not the CLI, is what must be there: `docker info` needs a daemon that answers.
# Bounded, because a wedged daemon can leave the socket accepting and never replying.
docker_engine_answers() {
  command -v docker >/dev/null && timeout 20 docker info >/dev/null 2>&1
}

# The daemon runs but this user may not talk to it (not root, not in the docker group).
docker_engine_refuses_us() {
  local answer
  command -v docker >/dev/null || return 1
  answer=$(timeout 20 docker info 2>&1) || true
  grep -qi 'permission denied' <<<"$answer"
}

# Only an engine on this machine's default socket is ours to install and start; a DOCKER_HOST
# elsewhere that does not answer is the user's to fix.
docker_host_is_local_default() {
  case "${DOCKER_HOST:-}" in
    '' | unix:///var/run/docker.sock | unix:///run/docker.sock) return 0 ;;
    *) return 1 ;;
  esac
}

docker_install_hint() {
  cat >&2 <<'EOF'
A Docker engine is needed to run skills, and none answers here. To get one:
  Debian/Ubuntu:  sudo apt-get install docker.io && sudo systemctl start docker
  elsewhere:      https://docs.docker.com/engine/install/
As a non-root user, also: sudo usermod -aG docker "$USER" (then log in again).
Then run `npm run setup` again. (As root with apt-get, setup does all of this itself.)
EOF
}

ensure_docker_engine() {
  if docker_engine_answers; then
    log_step "Docker engine answers"
    return
  fi
  if docker_engine_refuses_us; then
    log_fail "the Docker engine refuses this user (permission denied on its socket): add the user to the docker group (sudo usermod -aG docker \"\$USER\") and log in again, or run as root"
  fi
  if ! docker_host_is_local_default; then
    log_fail "no Docker engine answers at DOCKER_HOST=$DOCKER_HOST; start it, or unset DOCKER_HOST to use a local engine"
  fi
  if [ "$(id -u)" -ne 0 ]; then
    docker_install_hint
    log_fail "no Docker engine answers, and only root may install or start one"
  fi

  log_step "no Docker engine answers; setting one up"
  if ! command -v dockerd >/dev/null || ! command -v docker >/dev/null; then
    install_docker_package
  fi
  # The package's own service may have started it already.
  docker_engine_answers && { log_step "Docker engine answers"; return; }
  start_dockerd
  wait_for_docker_engine
}

install_docker_package() {
  if ! command -v apt-get >/dev/null; then
    docker_install_hint
    log_fail "no Docker engine is installed, and apt-get is not available to install one"
  fi
  log_step "installing docker.io with apt-get (a minute or two)"
  local apt_log
  apt_log=$(mktemp)
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io; } >"$apt_log" 2>&1; then
    tail -n 30 "$apt_log" >&2
    rm -f "$apt_log"
    log_fail "apt-get could not install docker.io"
  fi
  rm -f "$apt_log"
}

dockerd_is_running() {
  local pid
  pid=$(cat /var/run/docker.pid 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# Under systemd the service manager owns the daemon. Elsewhere (containers, CI) dockerd runs in
# its own session with every standard stream away from ours: a daemon holding the caller's
# stdout open would keep `npm test | tee ...` waiting for it forever.
start_dockerd() {
  if dockerd_is_running; then
    log_step "dockerd is running but not answering yet; waiting for it"
    return
  fi
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null \
    && systemctl start docker >/dev/null 2>&1; then
    log_step "started dockerd through systemd"
    return
  fi
  mkdir -p "$(dirname "$DOCKERD_LOG")"
  setsid -f dockerd </dev/null >>"$DOCKERD_LOG" 2>&1
  log_step "started dockerd in the background (log: $DOCKERD_LOG)"
}

wait_for_docker_engine() {
  local deadline=$((SECONDS + DOCKERD_START_TIMEOUT_S))
  until docker_engine_answers; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      [ -f "$DOCKERD_LOG" ] && tail -n 20 "$DOCKERD_LOG" >&2
      log_fail "the Docker engine did not answer within ${DOCKERD_START_TIMEOUT_S}s (log: $DOCKERD_LOG)"
    fi
    sleep 1
  done
  log_step "Docker engine answers"
}
