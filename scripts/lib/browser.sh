# shellcheck shell=bash
# The browser the console's tests drive (test/ui/): Debian's chromium, through playwright-core's
# executablePath, since no browser download is possible here. Installed with apt when we are root
# and it is missing; otherwise a warning that says how. Sourced by setup.sh after lib/log.sh.

CHROMIUM_PATH=${TE_CHROMIUM_PATH:-/usr/bin/chromium}

ensure_test_browser() {
  if [ -x "$CHROMIUM_PATH" ]; then
    log_step "chromium for the console tests is present"
    return
  fi
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    log_warn "chromium ($CHROMIUM_PATH) is missing: the console's browser tests need it (sudo apt-get install chromium)"
    return
  fi
  log_step "installing chromium with apt-get for the console tests (a minute or two)"
  local apt_log
  apt_log=$(mktemp)
  # Waits for another apt run to finish instead of failing on its lock.
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 chromium; } >"$apt_log" 2>&1; then
    tail -n 30 "$apt_log" >&2
    rm -f "$apt_log"
    log_fail "apt-get could not install chromium"
  fi
  rm -f "$apt_log"
}
