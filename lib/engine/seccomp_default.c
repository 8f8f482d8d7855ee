/*
 * seccomp_default.c - Docker's default seccomp profile, as it applies on x86_64 (security.h).
 *
 * The facts of Docker 20.10's profiles/seccomp/default.json (the version Debian 12 ships, in
 * golang-github-docker-docker-dev), written as minidock's rules: an allow-list. Any system call
 * it does not name fails with EPERM. Some are allowed only to a container that holds a
 * capability (--cap-add SYS_TIME allows clock_settime), some only with harmless arguments
 * (personality, clone without namespace flags). Rules for other architectures are left out.
 * tests/unit/test_security.c reads Docker's own file, when the kit has fetched it, and checks
 * that it says the same as this table.
 */
#include <errno.h>
#include <linux/capability.h>
#include <stddef.h>

#include "security.h"

/* Allowed to every container. */
static const char *const allowed[] = {
	"accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "capget", "capset",
	"chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64", "clock_getres",
	"clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
	"clock_nanosleep_time64", "close", "close_range", "connect", "copy_file_range", "creat",
	"dup", "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old",
	"epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2",
	"execve", "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64",
	"fadvise64_64", "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchown",
	"fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr",
	"flock", "fork", "fremovexattr", "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs",
	"fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex", "futex_time64", "futex_waitv",
	"futimesat", "getcpu", "getcwd", "getdents", "getdents64", "getegid", "getegid32",
	"geteuid", "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32", "getitimer",
	"getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority", "getrandom",
	"getresgid", "getresgid32", "getresuid", "getresuid32", "getrlimit", "get_robust_list",
	"getrusage", "getsid", "getsockname", "getsockopt", "get_thread_area", "gettid",
	"gettimeofday", "getuid", "getuid32", "getxattr", "inotify_add_watch", "inotify_init",
	"inotify_init1", "inotify_rm_watch", "io_cancel", "ioctl", "io_destroy", "io_getevents",
	"io_pgetevents", "io_pgetevents_time64", "ioprio_get", "ioprio_set", "io_setup",
	"io_submit", "io_uring_enter", "io_uring_register", "io_uring_setup", "ipc", "kill",
	"landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "lchown",
	"lchown32", "lgetxattr", "link", "linkat", "listen", "listxattr", "llistxattr", "_llseek",
	"lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "madvise", "membarrier",
	"memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat", "mlock",
	"mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr", "mq_notify", "mq_open",
	"mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64",
	"mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock",
	"munlockall", "munmap", "nanosleep", "newfstatat", "_newselect", "open", "openat",
	"openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "poll", "ppoll",
	"ppoll_time64", "prctl", "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease",
	"pselect6", "pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read", "readahead",
	"readlink", "readlinkat", "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64",
	"recvmsg", "remap_file_pages", "removexattr", "rename", "renameat", "renameat2",
	"restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask",
	"rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
	"rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr",
	"sched_getparam", "sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler",
	"sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity",
	"sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp",
	"select", "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send",
	"sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto", "setfsgid", "setfsgid32",
	"setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setitimer",
	"setpgid", "setpriority", "setregid", "setregid32", "setresgid", "setresgid32",
	"setresuid", "setresuid32", "setreuid", "setreuid32", "setrlimit", "set_robust_list",
	"setsid", "setsockopt", "set_thread_area", "set_tid_address", "setuid", "setuid32",
	"setxattr", "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd",
	"signalfd4", "sigprocmask", "sigreturn", "socket", "socketcall", "socketpair", "splice",
	"stat", "stat64", "statfs", "statfs64", "statx", "symlink", "symlinkat", "sync",
	"sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create",
	"timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime",
	"timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64",
	"timerfd_settime", "timerfd_settime64", "times", "tkill", "truncate", "truncate64",
	"ugetrlimit", "umask", "uname", "unlink", "unlinkat", "utime", "utimensat",
	"utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write",
	"writev", NULL,
};

/* Allowed with CAP_SYS_ADMIN: mounts, namespaces, BPF, performance counters, host names. */
static const char *const with_sys_admin[] = {
	"bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick",
	"lookup_dcookie", "mount", "mount_setattr", "move_mount", "name_to_handle_at", "open_tree",
	"perf_event_open", "quotactl", "quotactl_fd", "setdomainname", "sethostname", "setns",
	"syslog", "umount", "umount2", "unshare", NULL,
};

#define NAMES(...) ((const char *const[]){ __VA_ARGS__, NULL })
/* The namespace flags of clone(2): CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET. */
#define CLONE_NAMESPACE_FLAGS 0x7E020000u

static const struct sec_rule rules[] = {
	{ .names = allowed, .action = SEC_ACT_ALLOW },
	/* ptrace is safe since Linux 4.8 (seccomp is checked again after a tracer's change). */
	{ .names = NAMES("ptrace"), .action = SEC_ACT_ALLOW },
	/* personality(2): only the usual execution domains (PER_LINUX, PER_LINUX32, with
	 * UNAME26, and the query 0xffffffff); others weaken ASLR or emulate old kernels. */
	{ .names = NAMES("personality"), .action = SEC_ACT_ALLOW, .args = { { 0, 0x0, 0, SEC_OP_EQ } }, .n_args = 1 },
	{ .names = NAMES("personality"), .action = SEC_ACT_ALLOW, .args = { { 0, 0x8, 0, SEC_OP_EQ } }, .n_args = 1 },
	{ .names = NAMES("personality"), .action = SEC_ACT_ALLOW, .args = { { 0, 0x20000, 0, SEC_OP_EQ } }, .n_args = 1 },
	{ .names = NAMES("personality"), .action = SEC_ACT_ALLOW, .args = { { 0, 0x20008, 0, SEC_OP_EQ } }, .n_args = 1 },
	{ .names = NAMES("personality"), .action = SEC_ACT_ALLOW, .args = { { 0, 0xffffffff, 0, SEC_OP_EQ } }, .n_args = 1 },
	{ .names = NAMES("arch_prctl"), .action = SEC_ACT_ALLOW },
	{ .names = NAMES("modify_ldt"), .action = SEC_ACT_ALLOW },
	{ .names = NAMES("open_by_handle_at"), .action = SEC_ACT_ALLOW, .caps_needed = CAP_BIT(CAP_DAC_READ_SEARCH) },
	{ .names = with_sys_admin, .action = SEC_ACT_ALLOW, .caps_needed = CAP_BIT(CAP_SYS_ADMIN) },
	/* Without CAP_SYS_ADMIN: clone() for threads and processes, not for new namespaces... */
	{ .names = NAMES("clone"), .action = SEC_ACT_ALLOW, .args = { { 0, CLONE_NAMESPACE_FLAGS, 0, SEC_OP_MASKED_EQ } },
	  .n_args = 1, .caps_excluded = CAP_BIT(CAP_SYS_ADMIN) },
	/* ... and clone3(), whose flags sit in memory a filter cannot read, says "no such call":
	 * the C library then falls back to clone(). */
	{ .names = NAMES("clone3"), .action = SEC_ACT_ERRNO, .errno_ret = ENOSYS, .caps_excluded = CAP_BIT(CAP_SYS_ADMIN) },
	{ .names = NAMES("reboot"), .action = SEC_ACT_ALLOW, .caps_needed = CAP_BIT(CAP_SYS_BOOT) },
	{ .names = NAMES("chroot"), .action = SEC_ACT_ALLOW, .caps_needed = CAP_BIT(CAP_SYS_CHROOT) },
	{ .names = NAMES("delete_module", "init_module", "finit_module"), .action = SEC_ACT_ALLOW,
	  .caps_needed = CAP_BIT(CAP_SYS_MODULE) },
	{ .names = NAMES("acct"), .action = SEC_ACT_ALLOW, .caps_needed = CAP_BIT(CAP_SYS_PACCT) },
	{ .names = NAMES("kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace"),
	  .action = SEC_ACT_ALLOW, .caps_needed = CAP_BIT(CAP_SYS_PTRACE) },
	{ .names = NAMES("iopl", "ioperm"), .action = SEC_ACT_ALLOW, .caps_needed = CAP_BIT(CAP_SYS_RAWIO) },
	{ .names = NAMES("settimeofday", "stime", "clock_settime"), .action = SEC_ACT_ALLOW,
	  .caps_needed = CAP_BIT(CAP_SYS_TIME) },
	{ .names = NAMES("vhangup"), .action = SEC_ACT_ALLOW, .caps_needed = CAP_BIT(CAP_SYS_TTY_CONFIG) },
	{ .names = NAMES("get_mempolicy", "mbind", "set_mempolicy"), .action = SEC_ACT_ALLOW,
	  .caps_needed = CAP_BIT(CAP_SYS_NICE) },
	{ .names = NAMES("syslog"), .action = SEC_ACT_ALLOW, .caps_needed = CAP_BIT(CAP_SYSLOG) },
};

const struct sec_profile sec_default_profile = {
	.default_action = SEC_ACT_ERRNO,
	.default_errno = EPERM,
	.rules = rules,
	.n_rules = sizeof(rules) / sizeof(rules[0]),
};
