"""The kernel layer (SPEC section 4, layer 2): a seccomp filter built from the job's policy.

The in-process guard can be walked around (Python cannot sandbox Python); this filter cannot. The
harness loads it in the skill's process after the skill's files are compiled and before any of their
code runs. Refused system calls fail with EPERM, so Python raises PermissionError where a skill asks
for something its policy does not grant, and nothing else changes: threads, memory, reading files.

It sits on top of the engine's default seccomp profile, which stays on: this filter only takes away.
Grants are capabilities of the admin's policy (`control.allow_capabilities`), never a side effect of
an import allowlist:

  processes  execve, fork, vfork, clone without CLONE_THREAD, clone3
  sockets    socket, socketpair
"""
import errno

import seccomp

CAPABILITIES = ('processes', 'sockets')

# Refused whatever the policy says: ways to run code the image does not hold (memfd_create plus an
# exec of /proc/self/fd/N sidesteps the noexec /tmp; execveat runs a descriptor), to read or steer
# other processes, and kernel interfaces a skill has no use for that widen the kernel's attack surface.
ALWAYS_REFUSED = (
    'memfd_create', 'execveat',
    'ptrace', 'process_vm_readv', 'process_vm_writev', 'process_madvise', 'kcmp',
    'pidfd_open', 'pidfd_getfd',
    'userfaultfd', 'bpf', 'perf_event_open',
    'io_uring_setup', 'io_uring_enter', 'io_uring_register',
    'add_key', 'request_key', 'keyctl',
    'unshare', 'setns', 'mount', 'umount2', 'pivot_root', 'chroot',
    'open_by_handle_at', 'name_to_handle_at', 'fanotify_init',
    'move_pages', 'migrate_pages', 'mbind', 'set_mempolicy',
    'acct', 'quotactl', 'syslog', 'vhangup', 'swapon', 'swapoff', 'reboot',
    'kexec_load', 'kexec_file_load', 'init_module', 'finit_module', 'delete_module',
    'iopl', 'ioperm', 'modify_ldt', 'lookup_dcookie', 'personality',
    # A new session or process group would take the skill's processes out of reach of the
    # harness, which ends the skill's whole group when the run is over.
    'setsid', 'setpgid',
)

PROCESS_CALLS = ('execve', 'fork', 'vfork')
SOCKET_CALLS = ('socket', 'socketpair')

_CLONE_THREAD = 0x00010000
_LOW_32_BITS = 0xFFFFFFFF
_SIGN_BIT_32 = 0x80000000


class PolicyError(ValueError):
    """The policy names a capability this layer does not know."""


def build_filter(capabilities, harness_pid):
    """The filter for the skill's process. `harness_pid` is the process that watches it and writes
    the result: the skill may not signal it or change its limits."""
    unknown = sorted(set(capabilities) - set(CAPABILITIES))
    if unknown:
        raise PolicyError(f'unknown capabilities {unknown}: the kernel layer knows {list(CAPABILITIES)}')
    refuse = seccomp.ERRNO(errno.EPERM)
    rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    for name in ALWAYS_REFUSED:
        rules.add_rule(refuse, name)
    if 'processes' not in capabilities:
        for name in PROCESS_CALLS:
            rules.add_rule(refuse, name)
        # Threads are clones with CLONE_THREAD: they stay allowed; any other clone is a new process.
        rules.add_rule(refuse, 'clone', seccomp.Arg(0, seccomp.MASKED_EQ, _CLONE_THREAD, 0))
        # ENOSYS, not EPERM: glibc then falls back to clone(), where the rule above decides.
        rules.add_rule(seccomp.ERRNO(errno.ENOSYS), 'clone3')
    if 'sockets' not in capabilities:
        for name in SOCKET_CALLS:
            rules.add_rule(refuse, name)
    _protect(rules, refuse, harness_pid)
    return rules


def _protect(rules, refuse, harness_pid):
    """No signal to the harness, to a process group, or to every process; no prlimit on the harness.
    pid_t is 32 bits wide: compare the low half, whatever the caller left in the high one."""
    rules.add_rule(refuse, 'kill', seccomp.Arg(0, seccomp.MASKED_EQ, _LOW_32_BITS, harness_pid))
    rules.add_rule(refuse, 'kill', seccomp.Arg(0, seccomp.MASKED_EQ, _SIGN_BIT_32, _SIGN_BIT_32))
    rules.add_rule(refuse, 'tkill', seccomp.Arg(0, seccomp.MASKED_EQ, _LOW_32_BITS, harness_pid))
    rules.add_rule(refuse, 'tgkill', seccomp.Arg(0, seccomp.MASKED_EQ, _LOW_32_BITS, harness_pid))
    rules.add_rule(refuse, 'prlimit64', seccomp.Arg(0, seccomp.MASKED_EQ, _LOW_32_BITS, harness_pid))


def install(capabilities, harness_pid):
    """Loads the filter into this process (every thread: the skill has started none yet)."""
    rules = build_filter(capabilities, harness_pid)
    # no_new_privs is already set by the container (no-new-privileges); the attribute keeps the
    # load working where it is not.
    rules.set_attr(seccomp.Attr.CTL_NNP, 1)
    rules.set_attr(seccomp.Attr.CTL_TSYNC, 1)
    rules.load()
