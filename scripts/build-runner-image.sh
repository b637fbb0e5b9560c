#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Builds the runner image (default tool-executor-runner:latest, or $RUNNER_IMAGE) without any
# container registry: Debian's own CPython 3.11 packages are fetched with apt, unpacked into an
# empty root, pruned to what a skill can use, and copied into a FROM-scratch image.
# No shell, no package manager, no coreutils end up in the image.
#
# Usage: scripts/build-runner-image.sh [--force]
# Quick when nothing changed: the image carries a hash of its inputs in a label and is rebuilt
# only when the hash differs. Downloaded .deb files are kept in runner-image/build/debs.
set -euo pipefail

LOG_TAG=runner-image
script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$script_dir/lib/log.sh"

repo_root=$(cd "$script_dir/.." && pwd)
image=${RUNNER_IMAGE:-tool-executor-runner:latest}
image_dir=$repo_root/runner-image
harness_dir=$image_dir/harness
build_dir=$image_dir/build
debs_dir=$build_dir/debs
context_dir=$build_dir/context
inputs_label=tool-executor.inputs
runner_uid=65532

# Debian 12 packages that make up the image. The interpreter and its stdlib, plus the shared
# libraries that the kept stdlib modules load. Left out on purpose: libffi8 (ctypes would let
# a skill poke at memory past the in-container audit hook), libsqlite3, ncurses, readline,
# libdb, libnsl (their modules are pruned too) and media-types (mimetypes falls back to its
# built-in table). base-files is only read for /usr/lib/os-release, so image scanners can
# tell what the image is made of. python3-seccomp and libseccomp2 are the kernel layer: the
# harness loads a seccomp filter built from the run's policy (te_runtime/kernel.py).
# python3-prctl (with libcap2) lets the harness mark itself not dumpable, so the skill's process
# cannot read the harness's memory, descriptors or environment through /proc.
PACKAGES=(
  python3.11-minimal libpython3.11-minimal libpython3.11-stdlib
  libc6 zlib1g libexpat1 libssl3 libbz2-1.0 liblzma5 libuuid1 tzdata
  python3-seccomp libseccomp2 python3-prctl libcap2
  base-files
)

# Paths removed after unpacking, relative to the root. Globs are expanded there.
# @TRIPLET@ stands for the multiarch triplet (x86_64-linux-gnu, aarch64-linux-gnu, ...).
PRUNE_PATHS=(
  usr/share/man usr/share/info usr/share/lintian usr/share/locale usr/share/bug
  usr/share/binfmts usr/lib/binfmt.d usr/share/zoneinfo/right
  etc/ld.so.conf.d etc/python3.11
  'usr/lib/@TRIPLET@/gconv' 'usr/lib/@TRIPLET@/engines-3' 'usr/lib/@TRIPLET@/ossl-modules'
  'usr/lib/@TRIPLET@/libssl.so.*' 'usr/lib/@TRIPLET@/libexpatw.so*'
  'lib/@TRIPLET@/libBrokenLocale.so*' 'lib/@TRIPLET@/libanl.so*' 'lib/@TRIPLET@/libc_malloc_debug.so*'
  'lib/@TRIPLET@/libmemusage.so' 'lib/@TRIPLET@/libpcprofile.so' 'lib/@TRIPLET@/libthread_db.so*'
  'lib/@TRIPLET@/libnss_*.so*' 'lib/@TRIPLET@/libresolv.so*' 'lib/@TRIPLET@/libnsl.so*'
  usr/lib/python3.11/{test,ctypes,curses,distutils,ensurepip,idlelib,lib2to3,pydoc_data}
  usr/lib/python3.11/{sqlite3,tkinter,turtledemo,venv,__phello__}
  usr/lib/python3.11/{__hello__.py,antigravity.py,this.py,turtle.py,ssl.py,crypt.py}
  usr/lib/python3.11/{sitecustomize.py,EXTERNALLY-MANAGED}
  usr/lib/python3.11/lib-dynload/{_ctypes,_test,_xx,xxlimited,_curses,_dbm,_sqlite3,_ssl,_crypt}'*'
  usr/lib/python3.11/lib-dynload/{nis,readline,ossaudiodev}'*'
)

# What the image must be able to import (SPEC §4's pure modules and what they pull in).
SMOKE_MODULES=seccomp,prctl,json,math,cmath,datetime,re,string,textwrap,decimal,fractions,statistics,random,itertools,functools,operator,collections,heapq,bisect,copy,enum,dataclasses,typing,unicodedata,difflib,base64,binascii,hashlib,hmac,uuid,calendar,zoneinfo,time

main() {
  local force=false
  case "${1:-}" in
    --force) force=true ;;
    '') ;;
    *) log_fail "unknown argument '$1' (usage: $0 [--force])" ;;
  esac

  docker version --format '{{.Server.Version}}' >/dev/null 2>&1 \
    || log_fail "the Docker engine does not answer; run 'npm run setup' first"

  mkdir -p "$build_dir"
  # Two set-ups running at once (npm test in two shells) must not interleave their builds.
  exec 9>"$build_dir/.lock"
  flock 9

  local inputs
  inputs=$(inputs_hash)
  if ! $force && [ "$(image_inputs_label)" = "$inputs" ]; then
    log_step "$image is up to date (inputs ${inputs:0:12})"
    return
  fi

  local started=$SECONDS previous_id
  previous_id=$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
  fetch_debs
  assemble_rootfs
  build_image "$inputs"
  smoke_test
  remove_replaced_image "$previous_id"
  log_step "built $image in $((SECONDS - started))s, $(image_size_mb) MB (inputs ${inputs:0:12})"
}

# sha256 over everything that shapes the image: this script (with its package and prune lists),
# the Dockerfile and the harness files. Paths are relative, so a clone anywhere hashes the same.
inputs_hash() {
  (
    cd "$repo_root"
    sha256sum scripts/build-runner-image.sh runner-image/Dockerfile
    if [ -d runner-image/harness ]; then
      find runner-image/harness -type f ! -path '*/__pycache__/*' ! -name '*.pyc' -print0 \
        | LC_ALL=C sort -z | xargs -0r sha256sum
    fi
  ) | sha256sum | cut -d' ' -f1
}

image_inputs_label() {
  docker image inspect --format "{{index .Config.Labels \"$inputs_label\"}}" "$image" 2>/dev/null || true
}

# The cached .deb of a package (the newest, if several versions were ever fetched).
cached_deb() {
  find "$debs_dir" -maxdepth 1 -name "${1}_*.deb" -print | sort -V | tail -n 1
}

fetch_debs() {
  mkdir -p "$debs_dir"
  local pkg missing=()
  for pkg in "${PACKAGES[@]}"; do
    [ -n "$(cached_deb "$pkg")" ] || missing+=("$pkg")
  done
  [ ${#missing[@]} -gt 0 ] || return 0

  log_step "downloading ${#missing[@]} Debian package(s): ${missing[*]}"
  if ! download_debs "${missing[@]}"; then
    # A fresh machine may have no package lists yet.
    [ "$(id -u)" -eq 0 ] || log_fail "apt-get download failed; run 'apt-get update' as root, then retry"
    log_step "refreshing apt package lists"
    apt-get update -qq
    download_debs "${missing[@]}" \
      || log_fail "apt-get download failed: these packages need Debian 12 (bookworm) apt sources; on other hosts build runner-image/Dockerfile.registry instead"
  fi
}

# Downloads into a temporary folder first, so an interrupted fetch never leaves a partial .deb
# in the cache.
download_debs() {
  local tmp status=0
  tmp=$(mktemp -d "$build_dir/download.XXXXXX")
  (cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root "$@") || status=$?
  [ "$status" -ne 0 ] || mv "$tmp"/*.deb "$debs_dir"/
  rm -rf "$tmp"
  return "$status"
}

assemble_rootfs() {
  local root=$build_dir/rootfs.new pkg deb triplet
  log_step "assembling the image root"
  rm -rf "$root"
  mkdir -p "$root/var/lib/dpkg/status.d"
  for pkg in "${PACKAGES[@]}"; do
    deb=$(cached_deb "$pkg")
    if [ "$pkg" = base-files ]; then
      dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$root" ./usr/lib/os-release
      ln -s ../usr/lib/os-release "$root/etc/os-release"
    else
      dpkg-deb -x "$deb" "$root"
    fi
    # The package records that image scanners read, as distroless images carry them.
    dpkg-deb -f "$deb" Package Version Architecture Source >"$root/var/lib/dpkg/status.d/$pkg"
  done

  triplet=$(multiarch_triplet "$root")
  prune_rootfs "$root" "$triplet"
  add_accounts "$root"
  add_harness "$root"
  ln -s python3.11 "$root/usr/bin/python3"
  mkdir -p "$root/tmp"
  # A user whose umask is 077 must not produce files the runner user cannot read.
  chmod -R a+rX,go-w "$root"
  chmod 1777 "$root/tmp"
  compile_bytecode "$root" "$triplet"

  rm -rf "$context_dir"
  mkdir -p "$context_dir"
  mv "$root" "$context_dir/rootfs"
}

multiarch_triplet() {
  local dir
  for dir in "$1"/lib/*-linux-gnu*; do
    [ -e "$dir/libc.so.6" ] && { basename "$dir"; return; }
  done
  log_fail "no libc.so.6 under $1/lib/*-linux-gnu*"
}

prune_rootfs() {
  local root=$1 triplet=$2 pattern
  (
    cd "$root"
    shopt -s nullglob
    for pattern in "${PRUNE_PATHS[@]}"; do
      # Unquoted on purpose: the pattern is a glob to expand here.
      # shellcheck disable=SC2086
      rm -rf ${pattern//@TRIPLET@/$triplet}
    done
    # Keep the licences, drop the changelogs and READMEs.
    find usr/share/doc \( -type f -o -type l \) ! -name copyright -delete
  )
}

add_accounts() {
  local root=$1
  mkdir -p "$root/etc"
  printf '%s\n' 'root:x:0:0:root:/root:/sbin/nologin' \
    "runner:x:$runner_uid:$runner_uid:tool-executor runner:/tmp:/sbin/nologin" >"$root/etc/passwd"
  printf '%s\n' 'root:x:0:' "runner:x:$runner_uid:" >"$root/etc/group"
}

add_harness() {
  local target=$1/opt/tool-executor
  mkdir -p "$target"
  if [ -d "$harness_dir" ]; then
    cp -R "$harness_dir/." "$target/"
    find "$target" \( -name __pycache__ -o -name '*.pyc' \) -prune -exec rm -rf {} +
  fi
  if [ ! -f "$target/harness.py" ]; then
    log_warn "runner-image/harness/harness.py is missing; the image gets a placeholder that only reports it"
    printf '%s\n' 'import sys' \
      'sys.exit("tool-executor: placeholder image without the harness; rebuild after runner-image/harness/ exists")' \
      >"$target/harness.py"
  fi
}

# Precompiles the stdlib so that no container pays for compiling json, re, ... at every start
# (containers run with -B on a read-only root, so nothing is ever cached at run time).
# The image's own interpreter does it, through the image's own loader and libraries;
# unchecked-hash .pyc files need no mtime check, which COPY would not keep reliably anyway.
compile_bytecode() {
  local root=$1 triplet=$2 loader
  loader=$(find "$root/lib/$triplet" -maxdepth 1 -name 'ld-linux*.so.*' -print -quit)
  [ -n "$loader" ] || log_fail "no dynamic loader in $root/lib/$triplet"
  "$loader" --library-path "$root/lib/$triplet:$root/usr/lib/$triplet" "$root/usr/bin/python3.11" \
    -I -m compileall -q -j 0 --invalidation-mode unchecked-hash -s "$root" -p / \
    "$root/usr/lib/python3.11" "$root/opt/tool-executor" \
    || log_fail "byte-compiling the standard library and runner-image/harness/ failed (see above)"
}

build_image() {
  local inputs=$1 python_version log=$build_dir/docker-build.log
  python_version=$(dpkg-deb -f "$(cached_deb python3.11-minimal)" Version)
  log_step "docker build $image"
  if ! docker build --file "$image_dir/Dockerfile" --tag "$image" \
    --label "$inputs_label=$inputs" --label "tool-executor.python=$python_version" \
    "$context_dir" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    log_fail "docker build failed (full log: $log)"
  fi
}

# Runs the image under the walls the service uses and checks that the interpreter starts, that
# every module a skill may be allowed and every extension module left in the image loads, that
# the harness compiles, and that no shell made it in.
smoke_test() {
  local check
  check=$(cat <<'PY'
import importlib, os, sys
for name in sys.argv[1].split(","):
    importlib.import_module(name)
dynload = os.path.join(sys.prefix, "lib", "python3.11", "lib-dynload")
for file in os.listdir(dynload):
    importlib.import_module(file.split(".")[0])
import zoneinfo
zoneinfo.ZoneInfo("Europe/Paris")
with open("/opt/tool-executor/harness.py", "rb") as harness:
    compile(harness.read(), "/opt/tool-executor/harness.py", "exec")
import seccomp, prctl
for path in ("/bin/sh", "/usr/bin/sh", "/bin/bash", "/usr/bin/apt-get", "/usr/bin/dpkg", "/bin/ls"):
    assert not os.path.lexists(path), path + " is in the image"
assert os.getuid() == 65532, os.getuid()
print("ok")
PY
  )
  log_step "smoke test"
  local output
  if ! output=$(docker run --rm --network none --read-only --user "$runner_uid:$runner_uid" \
    --cap-drop ALL --security-opt no-new-privileges --tmpfs /tmp:size=16m \
    --entrypoint /usr/bin/python3.11 "$image" -I -B -c "$check" "$SMOKE_MODULES" 2>&1) \
    || [ "$output" != ok ]; then
    printf '%s\n' "$output" >&2
    log_fail "smoke test of $image failed"
  fi
}

# A rebuild leaves the previous image untagged; remove it unless a container still uses it.
remove_replaced_image() {
  local previous_id=$1 current_id
  [ -n "$previous_id" ] || return 0
  current_id=$(docker image inspect --format '{{.Id}}' "$image")
  [ "$previous_id" = "$current_id" ] || docker image rm "$previous_id" >/dev/null 2>&1 || true
}

# In MB of 10^6 bytes, as `docker images` shows it.
image_size_mb() {
  local bytes
  bytes=$(docker image inspect --format '{{.Size}}' "$image")
  awk -v bytes="$bytes" 'BEGIN { printf "%.1f", bytes / 1e6 }'
}

main "$@"
