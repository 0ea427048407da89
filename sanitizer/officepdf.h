/*
 * officepdf.h — Office and OpenDocument files turned into PDF by a headless LibreOffice
 * confined in a child of its own, fresh for every file.
 *
 * LibreOffice cannot live under the render child's allowlist (it execs, maps
 * hundreds of libraries, opens files, starts threads and talks to itself over
 * AF_UNIX sockets), so it gets a different cage: its own user, mount, network,
 * PID, IPC and UTS namespaces; a root of its own made of read-only binds of /usr,
 * /etc and the font cache, a fresh /proc and /tmp, four device nodes and one
 * writable work directory holding only the input, the profile and the output;
 * rlimits; no inherited descriptor; no new privileges; a seccomp denylist; a
 * wall-clock timeout after which the whole PID namespace is killed. Its profile
 * disables macro execution outright. What it writes is only a PDF, which the
 * pipeline then treats as hostile like any other: rendered in the render sandbox
 * into pixels and rebuilt. The PDF is read back through descriptors opened without
 * following links, bounded in size.
 */
#ifndef SEKISHO_OFFICEPDF_H
#define SEKISHO_OFFICEPDF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "detect.h"

#define OFFICEPDF_SOFFICE		"/usr/lib/libreoffice/program/soffice"
#define OFFICEPDF_DEFAULT_TIMEOUT_MS 60000
#define OFFICEPDF_MAX_PDF		(100u << 20)	/* bytes of the converted PDF */
#define OFFICEPDF_EXIT_SETUP	126		/* the child's code when the cage failed */

struct officepdf_limits {
	uint64_t as_bytes;	/* RLIMIT_AS; 0: unset (ASan) */
	unsigned cpu_seconds;	/* RLIMIT_CPU over every process of the conversion */
	uint64_t fsize_bytes;	/* RLIMIT_FSIZE: no file LibreOffice writes is larger */
	unsigned nofile;	/* RLIMIT_NOFILE */
	unsigned timeout_ms;	/* wall clock, then SIGKILL of the whole namespace */
	size_t max_pdf;		/* bytes accepted back */
	const char *soffice;	/* the program; NULL: OFFICEPDF_SOFFICE */
	const char *const *argv; /* NULL: soffice's conversion arguments; tests run
				 * a probe of the cage instead (it must write
				 * /work/out/input.pdf for anything to come back) */
	const char *tmp_base;	/* where the work directory is made; NULL: /tmp */
};

/* 4 GiB of address space (unset in an ASan build), 60 s CPU, 256 MiB files, 1024 descriptors, 60 s wall,
 * OFFICEPDF_MAX_PDF. */
void officepdf_limits_default(struct officepdf_limits *lim);

/* Whether type is converted by LibreOffice: docx, xlsx, pptx, doc, xls, ppt, odt,
 * ods, odp (not the macro-enabled OOXML types, which are refused earlier). */
int officepdf_supports(enum detect_type type);

enum officepdf_status {
	OFFICEPDF_OK,		/* a PDF was written to pdf_fd */
	OFFICEPDF_FAILED,		/* LibreOffice exited without a PDF (broken input) */
	OFFICEPDF_TIMEOUT,		/* killed at timeout_ms */
	OFFICEPDF_KILLED,		/* died of a signal (CPU limit, seccomp, crash) */
	OFFICEPDF_TOO_LARGE,	/* the PDF exceeded max_pdf */
};

struct officepdf_result {
	enum officepdf_status status;
	int exit_code;		/* LibreOffice's, when it exited */
	int signal;		/* when it was killed */
	uint64_t elapsed_ms;
	uint64_t pdf_size;
};

/* Convert the file open on in_fd (read from its start) of the given type into a
 * PDF written to pdf_fd (empty, from its start). Returns 0 with *res filled, or a
 * negative errno when the child could not be started or confined (-EPERM: the
 * namespaces or the filter were refused) — ours to fix, never the citizen's. */
int officepdf_convert(const struct officepdf_limits *lim, int in_fd, enum detect_type type,
    int pdf_fd, struct officepdf_result *res);

/* ---- the cage, for the warm converter (officewarm.h) ----------------------------- */

#define OFFICEPDF_CONN_FD	4	/* the caged program's end of its connection */
#define OFFICEPDF_CALC_UI_DIR	"/usr/lib/libreoffice/share/config/soffice.cfg/modules/scalc/ui"

struct officepdf_cage {
	const char *in_name;	/* soffice's argument /work/<in_name> (the one-shot) */
	char *const *argv;	/* NULL: the one-shot soffice's (or lim->argv) */
	int exec_fd;		/* -1: exec lim->soffice; else fexecve this program,
				 * opened by the parent (it is not in the cage) */
	int conn_fd;		/* -1, or given to the program as OFFICEPDF_CONN_FD */
	int calc_ui;		/* bind dir/ui read-only over OFFICEPDF_CALC_UI_DIR when
				 * that is empty (Debian's -nogui ships no .ui files) */
};

/* In dir (made by the caller, 0700): work/ (home/, out/, profile/ with the
 * macro-less registrymodifications.xcu), root/ and ui/; owned by nobody when root. */
int officepdf_cage_dirs(const char *dir, int was_root);

/* Copy in_fd (from its start) into a new file at path (no link followed). */
int officepdf_copy_in(int in_fd, const char *path, int was_root);

/* Start the cage on dir: *pid is its outer process (its own process group), and
 * *status_fd reads one byte (an errno) if the cage failed before exec, or EOF once
 * the program runs or is gone. Returns 0 or a negative errno. */
int officepdf_cage_start(const struct officepdf_limits *lim, const char *dir,
    const struct officepdf_cage *cg, pid_t *pid, int *status_fd);

/* Kill the cage started as pid and reap it: every process in it is gone after. */
void officepdf_cage_stop(pid_t pid);

/* Copy dir/work/sub/name (no link followed, a regular file, at most lim->max_pdf
 * bytes) into pdf_fd; res->status says OK, FAILED (none) or TOO_LARGE. */
int officepdf_collect(const char *dir, const char *sub, const char *name,
    const struct officepdf_limits *lim, int pdf_fd, struct officepdf_result *res);

/* A static name for a status. */
const char *officepdf_status_name(enum officepdf_status st);

/* The installed LibreOffice's Debian version ("4:7.4.7-1+deb12u14") into buf, or
 * "unknown"; for attestations. */
void officepdf_engine_version(char *buf, size_t len);

#endif
