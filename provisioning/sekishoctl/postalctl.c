/*
 * postalctl.c — the operator's way to install or refresh the postal data.
 *
 * The import itself is provisioning/postal/import-postal.sh (with its Python
 * converter), the same code install-deps and the tests use; this command only
 * points it at the instance's database and at the operator's file, so there is one
 * importer, not two.
 */
#include "postalctl.h"

#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

int
postalctl_main(const struct instance *in, int argc, char **argv)
{
	char script[PATH_MAX + 64], out[PATH_MAX + 64];
	char *args[8];
	pid_t pid;
	int status, rc, n = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: sekishoctl import-postal KEN_ALL.CSV|utf_ken_all.csv|ZIP\n"
				"       sekishoctl import-postal --packaged   (the pinned npm package's copy)\n");
		return 2;
	}
	snprintf(script, sizeof script, "%s/provisioning/postal/import-postal.sh", in->share);
	snprintf(out, sizeof out, "%s/dmz/postal/postal.sqlite", in->root);
	args[n++] = "/bin/sh";
	args[n++] = script;
	args[n++] = "--out";
	args[n++] = out;
	if (strcmp(argv[1], "--packaged") == 0) {
		args[n++] = "--offline";
	} else {
		args[n++] = "--ken-all";
		args[n++] = argv[1];
	}
	args[n] = NULL;
	if ((rc = posix_spawn(&pid, args[0], NULL, NULL, args, environ)) != 0) {
		fprintf(stderr, "sekishoctl import-postal: %s: %s\n", script, strerror(rc));
		return 1;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "sekishoctl import-postal: 郵便番号データを取り込めませんでした"
				"（上の理由をご確認ください）。以前のデータはそのまま使われます。\n");
		return 1;
	}
	printf("郵便番号データを %s に取り込みました。portald は次の検索から新しいデータを使います。\n", out);
	return 0;
}
