/*
 * officepdf.c — one LibreOffice per file, in a cage of namespaces, rlimits and seccomp.
 *
 * The invariant: soffice is exec'd only after every step of the cage has succeeded
 * (any failure is reported through a close-on-exec pipe and makes the conversion an
 * internal error, never a verdict), and the parent reads back nothing but one
 * regular file, at most max_pdf bytes, opened without following links, after every
 * process of the conversion is dead.
 *
 * The shape: the parent forks A; A enters new user (when not root), mount, network,
 * IPC, UTS and PID namespaces and forks B, the PID namespace's init, which builds a
 * root of its own (a tmpfs with read-only binds of /usr, /etc and the font cache,
 * a fresh /proc and /tmp, /dev with null, zero, random and urandom, and the work
 * directory on /work), pivots into it, drops to nobody when it was root, sets its
 * rlimits, closes every descriptor, sets no_new_privs and the filter, and execs
 * soffice. A waits for B and exits as B did. At the deadline the parent sends A
 * SIGTERM; A kills B, and every process in the namespace dies with B (the kernel
 * reaps B only after they are all gone), then A exits. Should A not, the parent
 * kills A's process group, and B dies with A (PDEATHSIG).
 *
 * Why a denylist, not an allowlist (confine.c): LibreOffice's system calls depend
 * on the document (Java, fonts, printing, threads, its own IPC) and an allowlist
 * that kills a rare path would refuse valid files; the namespaces already leave it
 * no network, no other process and no file but its own. The filter removes what
 * could break out of or reach past them, and sockets of any family but AF_UNIX
 * (LibreOffice's own pipes).
 */
#define _GNU_SOURCE		/* unshare, pivot_root, CLONE_* */
#include "officepdf.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "confine.h"
#include "deadline.h"
#include "fsio.h"

#define OFFICEPDF_NOBODY		65534
#define OFFICEPDF_POLL_MS		10
#define OFFICEPDF_KILL_GRACE_MS	5000	/* for A to kill B and reap it */
#define OFFICEPDF_COPY_CHUNK	(64u * 1024)
#define OFFICEPDF_TMP_SIZE		"size=256m"	/* the cage's /tmp (tmpfs) */
#define OFFICEPDF_DPKG_STATUS	"/var/lib/dpkg/status"
#define OFFICEPDF_DPKG_MAX		(64u << 20)	/* bytes of the status file read */
#define OFFICEPDF_FD_HIGH		100	/* B's descriptors wait here before 3..5 */

#if defined(__SANITIZE_ADDRESS__)
#define OFFICEPDF_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define OFFICEPDF_ASAN 1
#endif
#endif
#ifndef OFFICEPDF_ASAN
#define OFFICEPDF_ASAN 0
#endif

/* The profile LibreOffice starts with (registrymodifications.xcu): macros never
 * run, whatever the document or its signature says; links to other files are never
 * updated (Writer 0 = never, Calc 1 = never); no OpenCL probing, no update check. */
static const char office_profile[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<oor:items xmlns:oor=\"http://openoffice.org/2001/registry\" "
	"xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" "
	"xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n"
	"<item oor:path=\"/org.openoffice.Office.Common/Security/Scripting\">"
	"<prop oor:name=\"DisableMacrosExecution\" oor:op=\"fuse\"><value>true</value></prop></item>\n"
	"<item oor:path=\"/org.openoffice.Office.Common/Security/Scripting\">"
	"<prop oor:name=\"MacroSecurityLevel\" oor:op=\"fuse\"><value>3</value></prop></item>\n"
	"<item oor:path=\"/org.openoffice.Office.Common/Security/Scripting\">"
	"<prop oor:name=\"BlockUntrustedRefererLinks\" oor:op=\"fuse\"><value>true</value></prop></item>\n"
	"<item oor:path=\"/org.openoffice.Office.Writer/Content/Update\">"
	"<prop oor:name=\"Link\" oor:op=\"fuse\"><value>0</value></prop></item>\n"
	"<item oor:path=\"/org.openoffice.Office.Calc/Content/Update\">"
	"<prop oor:name=\"Link\" oor:op=\"fuse\"><value>1</value></prop></item>\n"
	"<item oor:path=\"/org.openoffice.Office.Common/Misc\">"
	"<prop oor:name=\"UseOpenCL\" oor:op=\"fuse\"><value>false</value></prop></item>\n"
	"<item oor:path=\"/org.openoffice.Office.Update/Update\">"
	"<prop oor:name=\"Enabled\" oor:op=\"fuse\"><value>false</value></prop></item>\n"
	"</oor:items>\n";

void
officepdf_limits_default(struct officepdf_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	/* Forked from an ASan build, soffice fails under an address-space limit (as
	 * the render child would): there it is left unset. */
	lim->as_bytes = OFFICEPDF_ASAN ? 0 : 4ull << 30;
	lim->cpu_seconds = 60;
	lim->fsize_bytes = 256ull << 20;
	lim->nofile = 1024;
	lim->timeout_ms = OFFICEPDF_DEFAULT_TIMEOUT_MS;
	lim->max_pdf = OFFICEPDF_MAX_PDF;
}

int
officepdf_supports(enum detect_type type)
{
	switch (type) {
	case DETECT_DOCX: case DETECT_XLSX: case DETECT_PPTX:
	case DETECT_DOC: case DETECT_XLS: case DETECT_PPT:
	case DETECT_ODT: case DETECT_ODS: case DETECT_ODP:
		return 1;
	default:
		return 0;
	}
}

const char *
officepdf_status_name(enum officepdf_status st)
{
	switch (st) {
	case OFFICEPDF_OK:		return "ok";
	case OFFICEPDF_FAILED:	return "failed";
	case OFFICEPDF_TIMEOUT:	return "timeout";
	case OFFICEPDF_KILLED:	return "killed";
	case OFFICEPDF_TOO_LARGE:	return "too-large";
	}
	return "unknown";
}

void
officepdf_engine_version(char *buf, size_t len)
{
	static const char pkg[] = "Package: libreoffice-core-nogui\n";
	char *s = NULL, *p, *v, *end;
	struct stat st;
	size_t n;
	int fd = open(OFFICEPDF_DPKG_STATUS, O_RDONLY | O_CLOEXEC);

	snprintf(buf, len, "unknown");
	if (fd < 0)
		return;
	if (fstat(fd, &st) != 0 || st.st_size <= 0 || (uint64_t)st.st_size > OFFICEPDF_DPKG_MAX ||
	    (s = malloc((size_t)st.st_size)) == NULL ||
	    fsio_pread_all(fd, s, (size_t)st.st_size, 0) != 0) {
		free(s);
		close(fd);
		return;
	}
	n = (size_t)st.st_size;
	close(fd);
	if ((p = memmem(s, n, pkg, sizeof pkg - 1)) != NULL) {
		end = memmem(p, n - (size_t)(p - s), "\n\n", 2);
		end = end != NULL ? end : s + n;
		v = memmem(p, (size_t)(end - p), "\nVersion: ", 10);
		if (v != NULL) {
			v += 10;
			snprintf(buf, len, "%.*s", (int)strcspn(v, "\n"), v);
		}
	}
	free(s);
}

/* ---- the child: the cage ---------------------------------------------------------- */

/* Report errno (or e) through the status pipe and die. */
static void __attribute__((noreturn))
cage_fail(int status_fd, int e)
{
	unsigned char b = (unsigned char)(e > 0 && e < 256 ? e : EPERM);

	(void)!write(status_fd, &b, 1);
	_exit(OFFICEPDF_EXIT_SETUP);
}

static int
write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -1;
	close(fd);
	return rc;
}

/* Map our own uid and gid into the new user namespace (as themselves: soffice runs
 * without capabilities there once it execs). */
static int
map_ids(uid_t uid, gid_t gid)
{
	char m[64];

	snprintf(m, sizeof m, "%u %u 1\n", (unsigned)uid, (unsigned)uid);
	if (write_file("/proc/self/uid_map", m) != 0 ||
	    write_file("/proc/self/setgroups", "deny") != 0)
		return -1;
	snprintf(m, sizeof m, "%u %u 1\n", (unsigned)gid, (unsigned)gid);
	return write_file("/proc/self/gid_map", m);
}

static int
bind_ro(const char *src, const char *dst)
{
	if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) != 0)
		return -1;
	return mount(NULL, dst, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV,
		     NULL);
}

/* An empty file at dst with src bound over it (a device node for /dev). */
static int
bind_dev(const char *src, const char *dst)
{
	int fd = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return -1;
	close(fd);
	return mount(src, dst, NULL, MS_BIND, NULL);
}

/* The new root under root (a directory), with work bound on /work, and ui (when not
 * NULL) read-only over Calc's .ui directory. */
static int
build_root(const char *root, const char *work, const char *ui)
{
	static const char *const dirs[] = { "usr", "etc", "dev", "proc", "tmp", "work", "var",
					    "var/cache", "var/cache/fontconfig" };
	static const char *const links[][2] = { { "usr/bin", "bin" }, { "usr/sbin", "sbin" },
						{ "usr/lib", "lib" }, { "usr/lib64", "lib64" } };
	static const char *const devs[] = { "null", "zero", "random", "urandom" };
	char p[PATH_MAX], d[64];
	size_t i;

	if (mount("none", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755") != 0 ||
	    chdir(root) != 0)
		return -1;
	for (i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		if (mkdir(dirs[i], 0755) != 0)
			return -1;
	for (i = 0; i < sizeof links / sizeof links[0]; i++)
		if (symlink(links[i][0], links[i][1]) != 0)
			return -1;
	if (bind_ro("/usr", "usr") != 0 || bind_ro("/etc", "etc") != 0)
		return -1;
	/* LibreOfficeKit opens a Calc view, which needs inputbar.ui; Debian's -nogui
	 * packages ship no .ui files (the directory is there, empty). The target
	 * without its '/': relative to the new root, our working directory. */
	if (ui != NULL && access(OFFICEPDF_CALC_UI_DIR "/inputbar.ui", R_OK) != 0 &&
	    access(OFFICEPDF_CALC_UI_DIR, R_OK) == 0 && bind_ro(ui, &OFFICEPDF_CALC_UI_DIR[1]) != 0)
		return -1;
	/* Without its cache, fontconfig rescans every font on every start. */
	if (access("/var/cache/fontconfig", R_OK) == 0 &&
	    bind_ro("/var/cache/fontconfig", "var/cache/fontconfig") != 0)
		return -1;
	if (mount("none", "dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=0755") != 0)
		return -1;
	for (i = 0; i < sizeof devs / sizeof devs[0]; i++) {
		snprintf(p, sizeof p, "/dev/%s", devs[i]);
		snprintf(d, sizeof d, "dev/%s", devs[i]);
		if (bind_dev(p, d) != 0)
			return -1;
	}
	if (mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0 ||
	    mount("none", "tmp", "tmpfs", MS_NOSUID | MS_NODEV, OFFICEPDF_TMP_SIZE) != 0 ||
	    mount(work, "work", NULL, MS_BIND, NULL) != 0 ||
	    mount(NULL, "work", NULL, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV, NULL) != 0)
		return -1;
	/* Into it; the old root is detached and unreachable. */
	if (syscall(SYS_pivot_root, ".", ".") != 0 || umount2(".", MNT_DETACH) != 0 ||
	    chdir("/work") != 0)
		return -1;
	return mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV,
		     NULL);
}

static int
cage_rlimits(const struct officepdf_limits *lim)
{
	struct rlimit rl;

	if (lim->as_bytes > 0 && confine_rlimit(RLIMIT_AS, lim->as_bytes) != 0)
		return -1;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	rl.rlim_cur = lim->nofile < rl.rlim_max ? lim->nofile : rl.rlim_max;
	rl.rlim_max = rl.rlim_cur;
	return confine_rlimit(RLIMIT_CPU, lim->cpu_seconds) != 0 ||
	    confine_rlimit(RLIMIT_FSIZE, lim->fsize_bytes) != 0 ||
	    confine_rlimit(RLIMIT_CORE, 0) != 0 || setrlimit(RLIMIT_NOFILE, &rl) != 0 ? -1 : 0;
}

/* Move fd to at least OFFICEPDF_FD_HIGH (close-on-exec), out of the way of 0..5. */
static int
fd_high(int fd)
{
	return fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, OFFICEPDF_FD_HIGH);
}

/* B: the PID namespace's init. Builds the root, confines itself, execs soffice (or
 * the program of cg). */
static void __attribute__((noreturn))
cage_init(const struct officepdf_limits *lim, const char *dir, const struct officepdf_cage *cg,
    int status_fd, int was_root)
{
	char root[PATH_MAX], work[PATH_MAX], ui[PATH_MAX], in_arg[64];
	const char *prog = lim->soffice != NULL ? lim->soffice : OFFICEPDF_SOFFICE;
	char *const argv[] = {
		(char *)"soffice", (char *)"--headless", (char *)"--invisible",
		(char *)"--norestore", (char *)"--nolockcheck", (char *)"--nodefault",
		(char *)"--nologo", (char *)"--nofirststartwizard",
		(char *)"-env:UserInstallation=file:///work/profile",
		(char *)"--convert-to", (char *)"pdf", (char *)"--outdir", (char *)"/work/out",
		in_arg, NULL,
	};
	char *const envp[] = {
		(char *)"HOME=/work/home", (char *)"PATH=/usr/bin:/bin", (char *)"LANG=C.UTF-8",
		(char *)"TMPDIR=/tmp", (char *)"SAL_USE_VCLPLUGIN=svp", NULL,
	};
	char *const *use_argv = cg->argv != NULL ? cg->argv
	    : lim->argv != NULL ? (char *const *)lim->argv : argv;
	int null_fd, conn_fd = -1, exec_fd = -1;
	sigset_t none;

	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) != 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
		cage_fail(status_fd, errno);
	snprintf(root, sizeof root, "%s/root", dir);
	snprintf(work, sizeof work, "%s/work", dir);
	snprintf(ui, sizeof ui, "%s/ui", dir);
	snprintf(in_arg, sizeof in_arg, "/work/%s", cg->in_name != NULL ? cg->in_name : "");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    build_root(root, work, cg->calc_ui ? ui : NULL) != 0)
		cage_fail(status_fd, errno);
	/* Changing credentials clears the death signal: set it again after. */
	if (was_root && (setgroups(0, NULL) != 0 || setgid(OFFICEPDF_NOBODY) != 0 ||
	    setuid(OFFICEPDF_NOBODY) != 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) != 0))
		cage_fail(status_fd, errno);
	if (cage_rlimits(lim) != 0)
		cage_fail(status_fd, errno);
	/* stdin, stdout, stderr on /dev/null; the status pipe (close-on-exec) on 3,
	 * kept until exec says all went well; the connection to the parent on 4 and
	 * the program to exec on 5 (close-on-exec) when there are; nothing else. */
	if ((status_fd = fd_high(status_fd)) < 0 ||
	    (cg->conn_fd >= 0 && (conn_fd = fd_high(cg->conn_fd)) < 0) ||
	    (cg->exec_fd >= 0 && (exec_fd = fd_high(cg->exec_fd)) < 0))
		cage_fail(status_fd, errno);
	if ((null_fd = open("/dev/null", O_RDWR)) < 0 || dup2(null_fd, 0) < 0 ||
	    dup2(null_fd, 1) < 0 || dup2(null_fd, 2) < 0)
		cage_fail(status_fd, errno);
	if (dup3(status_fd, 3, O_CLOEXEC) < 0)
		cage_fail(status_fd, errno);
	status_fd = 3;
	if ((conn_fd >= 0 && dup2(conn_fd, OFFICEPDF_CONN_FD) < 0) ||
	    (exec_fd >= 0 && dup3(exec_fd, OFFICEPDF_CONN_FD + 1, O_CLOEXEC) < 0))
		cage_fail(status_fd, errno);
	if (syscall(SYS_close_range, exec_fd >= 0 ? OFFICEPDF_CONN_FD + 2u
	    : conn_fd >= 0 ? OFFICEPDF_CONN_FD + 1u : 4u, ~0u, 0) != 0)
		cage_fail(status_fd, errno);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || confine_seccomp(CONFINE_UNIX_SOCKETS) != 0)
		cage_fail(status_fd, errno);
	if (exec_fd >= 0)
		fexecve(OFFICEPDF_CONN_FD + 1, use_argv, envp);
	else
		execve(prog, use_argv, envp);
	cage_fail(status_fd, errno);
}

/* A: enters the namespaces, runs B, exits as B did. */
static void __attribute__((noreturn))
cage_main(const struct officepdf_limits *lim, const char *dir, const struct officepdf_cage *cg,
    int status_fd, pid_t parent)
{
	int was_root = geteuid() == 0, flags, st = 0;
	uid_t uid = geteuid();
	gid_t gid = getegid();
	sigset_t none, wait_for;
	pid_t b;

	for (st = 1; st < NSIG; st++)
		if (st != SIGKILL && st != SIGSTOP)
			(void)signal(st, SIG_DFL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	if (setpgid(0, 0) != 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
		cage_fail(status_fd, errno);
	flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;
	if (!was_root)
		flags |= CLONE_NEWUSER;
	if (unshare(flags) != 0 || (!was_root && map_ids(uid, gid) != 0))
		cage_fail(status_fd, errno);
	/* SIGTERM from the parent means the deadline passed; SIGCHLD that B ended.
	 * Both are taken by sigwaitinfo, blocked from before the fork so that
	 * neither can be missed (B unblocks them). */
	sigemptyset(&wait_for);
	sigaddset(&wait_for, SIGTERM);
	sigaddset(&wait_for, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &wait_for, NULL) != 0 || (b = fork()) < 0)
		cage_fail(status_fd, errno);
	if (b == 0)
		cage_init(lim, dir, cg, status_fd, was_root);
	close(status_fd);
	for (;;) {
		int sig = sigwaitinfo(&wait_for, NULL);

		/* B is the PID namespace's init: killing it kills every process in the
		 * namespace, and B is reaped only after they are all gone. B cannot have
		 * been reaped yet (only this loop reaps it), so its pid is still B. */
		if (sig == SIGTERM)
			(void)kill(b, SIGKILL);
		if (waitpid(b, &st, sig == SIGTERM ? 0 : WNOHANG) == b)
			break;
	}
	if (WIFSIGNALED(st))
		raise(WTERMSIG(st) == SIGKILL ? SIGKILL : SIGABRT);
	_exit(WIFEXITED(st) ? WEXITSTATUS(st) : OFFICEPDF_EXIT_SETUP);
}

/* ---- the parent ------------------------------------------------------------------- */

int
officepdf_cage_dirs(const char *dir, int was_root)
{
	static const char *const sub[] = { "work", "root", "ui", "work/home", "work/out",
					   "work/profile", "work/profile/user" };
	char p[PATH_MAX];
	size_t i;
	int fd;

	/* Searchable by nobody (the soffice user when we are root), not listable. */
	if (was_root && chmod(dir, 0711) != 0)
		return -errno;
	for (i = 0; i < sizeof sub / sizeof sub[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, sub[i]);
		if (mkdir(p, i == 2 ? 0755 : 0700) != 0 || (was_root && i != 1 && i != 2 &&
		    chown(p, OFFICEPDF_NOBODY, OFFICEPDF_NOBODY) != 0))
			return -errno;
	}
	snprintf(p, sizeof p, "%s/work/profile/user/registrymodifications.xcu", dir);
	if ((fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return -errno;
	if (fsio_write_all(fd, office_profile, sizeof office_profile - 1) != 0 ||
	    (was_root && fchown(fd, OFFICEPDF_NOBODY, OFFICEPDF_NOBODY) != 0)) {
		close(fd);
		return -errno;
	}
	close(fd);
	return 0;
}

int
officepdf_copy_in(int in_fd, const char *path, int was_root)
{
	uint8_t buf[OFFICEPDF_COPY_CHUNK];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
		return -errno;
	if (lseek(in_fd, 0, SEEK_SET) != 0)
		goto fail;
	while ((n = read(in_fd, buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || fsio_write_all(fd, buf, (size_t)n) != 0)
			goto fail;
	}
	if (was_root && fchown(fd, OFFICEPDF_NOBODY, OFFICEPDF_NOBODY) != 0)
		goto fail;
	close(fd);
	return 0;
fail:
	n = -errno;
	close(fd);
	return (int)n;
}

int
officepdf_collect(const char *dir, const char *sub, const char *name,
    const struct officepdf_limits *lim, int pdf_fd, struct officepdf_result *res)
{
	char p[PATH_MAX];
	uint8_t buf[OFFICEPDF_COPY_CHUNK];
	struct stat st;
	int dfd, fd, rc = 0;
	uint64_t total = 0;
	ssize_t n;

	snprintf(p, sizeof p, "%s/work", dir);
	if ((dfd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return -errno;
	fd = openat(dfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(dfd);
	if (fd < 0) {
		res->status = OFFICEPDF_FAILED;
		return 0;
	}
	dfd = fd;
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	close(dfd);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
		if (fd >= 0)
			close(fd);
		res->status = OFFICEPDF_FAILED;
		return 0;
	}
	if ((uint64_t)st.st_size > lim->max_pdf) {
		close(fd);
		res->status = OFFICEPDF_TOO_LARGE;
		return 0;
	}
	/* Bounded while reading too: a live converter may still be growing it. */
	while ((n = read(fd, buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (total += (uint64_t)n) > lim->max_pdf ||
		    fsio_pwrite_all(pdf_fd, buf, (size_t)n, (off_t)(total - (uint64_t)n)) != 0) {
			rc = n < 0 || total <= lim->max_pdf ? -EIO : 0;
			if (rc == 0)
				res->status = OFFICEPDF_TOO_LARGE;
			close(fd);
			return rc;
		}
	}
	close(fd);
	res->pdf_size = total;
	res->status = OFFICEPDF_OK;
	return 0;
}

int
officepdf_cage_start(const struct officepdf_limits *lim, const char *dir,
    const struct officepdf_cage *cg, pid_t *pid, int *status_fd)
{
	int sp[2];
	pid_t parent = getpid();

	if (pipe2(sp, O_CLOEXEC) != 0)
		return -errno;
	if ((*pid = fork()) < 0) {
		close(sp[0]);
		close(sp[1]);
		return -errno;
	}
	if (*pid == 0) {
		close(sp[0]);
		cage_main(lim, dir, cg, sp[1], parent);
	}
	close(sp[1]);
	*status_fd = sp[0];
	return 0;
}

/* Wait for A until deadline; then SIGTERM (A kills B: the namespace dies whole),
 * then after a grace A's whole group. *killed: the deadline passed. */
static int
cage_wait(pid_t pid, uint64_t deadline, int *st, int *killed)
{
	int rc;

	*killed = 0;
	for (;;) {
		rc = waitpid(pid, st, WNOHANG);
		if (rc == pid)
			return 0;
		if (rc < 0 && errno != EINTR) {
			rc = -errno;
			(void)kill(-pid, SIGKILL);
			(void)kill(pid, SIGKILL);
			while (waitpid(pid, st, 0) < 0 && errno == EINTR)
				;
			return rc;
		}
		if (deadline_now_ms() >= deadline) {
			/* A kills B, whose death ends the PID namespace, and exits once
			 * B is reaped, i.e. once every process of the conversion is gone.
			 * If A does not, its whole group dies (B with it, by PDEATHSIG). */
			if (!*killed) {
				(void)kill(pid, SIGTERM);
				*killed = 1;
				deadline = deadline_now_ms() + OFFICEPDF_KILL_GRACE_MS;
				continue;
			}
			(void)kill(-pid, SIGKILL);
			(void)kill(pid, SIGKILL);
			while (waitpid(pid, st, 0) < 0 && errno == EINTR)
				;
			return 0;
		}
		{
			struct timespec ts = { 0, OFFICEPDF_POLL_MS * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
}

void
officepdf_cage_stop(pid_t pid)
{
	int st, killed;

	(void)cage_wait(pid, 0, &st, &killed);
}

int
officepdf_convert(const struct officepdf_limits *lim, int in_fd, enum detect_type type,
    int pdf_fd, struct officepdf_result *res)
{
	char dir[PATH_MAX], in_name[32], p[PATH_MAX + 40];
	const char *base = lim->tmp_base != NULL ? lim->tmp_base : "/tmp";
	int sfd = -1, st = 0, rc, killed = 0, was_root = geteuid() == 0;
	unsigned char why = 0;
	uint64_t start = deadline_now_ms();
	struct officepdf_cage cg = { .in_name = in_name, .exec_fd = -1, .conn_fd = -1 };
	pid_t pid;

	memset(res, 0, sizeof(*res));
	if (!officepdf_supports(type))
		return -EINVAL;
	snprintf(in_name, sizeof in_name, "input.%s", detect_type_name(type));
	if ((size_t)snprintf(dir, sizeof dir, "%s/sekisho-office.XXXXXX", base) >= sizeof dir)
		return -ENAMETOOLONG;
	if (mkdtemp(dir) == NULL)
		return -errno;
	snprintf(p, sizeof p, "%s/work/%s", dir, in_name);
	if ((rc = officepdf_cage_dirs(dir, was_root)) != 0 ||
	    (rc = officepdf_copy_in(in_fd, p, was_root)) != 0)
		goto out;
	if ((rc = officepdf_cage_start(lim, dir, &cg, &pid, &sfd)) != 0)
		goto out;
	if ((rc = cage_wait(pid, start + lim->timeout_ms, &st, &killed)) != 0)
		goto out;
	res->elapsed_ms = deadline_now_ms() - start;
	if (read(sfd, &why, 1) == 1) {
		rc = -EPERM;	/* the cage could not be built: ours to fix */
		goto out;
	}
	rc = 0;
	if (killed) {
		res->status = OFFICEPDF_TIMEOUT;
	} else if (WIFSIGNALED(st)) {
		res->status = OFFICEPDF_KILLED;
		res->signal = WTERMSIG(st);
	} else {
		res->exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		snprintf(p, sizeof p, "%.*s.pdf", (int)strcspn(in_name, "."), in_name);
		rc = officepdf_collect(dir, "out", p, lim, pdf_fd, res);
	}
out:
	if (sfd >= 0)
		close(sfd);
	fsio_remove_tree(dir);
	return rc;
}
