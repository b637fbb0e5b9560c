# shellcheck shell=bash
# Progress and error lines shared by the set-up scripts. Sourced, never run.

# One progress line, prefixed with the calling script's tag (set LOG_TAG before sourcing).
log_step() { printf '[%s] %s\n' "${LOG_TAG:-setup}" "$*"; }

log_warn() { printf '[%s] warning: %s\n' "${LOG_TAG:-setup}" "$*" >&2; }

# Prints the message to stderr and ends the script.
log_fail() {
  printf '[%s] error: %s\n' "${LOG_TAG:-setup}" "$*" >&2
  exit 1
}
