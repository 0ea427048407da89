/*
 * officewarm_main.c — sekisho-officewarm, the warm converter: LibreOfficeKit loaded
 * once, then one document at a time from the parent's requests.
 *
 * It runs only inside officepdf's cage (see officewarm.h), exec'd by the parent from
 * a descriptor, with its connection on OFFICEPDF_CONN_FD: it is given nothing but
 * the names of job directories under /work and answers one reply per request. It
 * trusts nothing it converts and needs no checks of its own beyond the request's
 * shape: the cage is what holds it. Macros never run: LibreOfficeKit loads with
 * MacroExecutionMode NEVER_EXECUTE and the profile disables them as well.
 */
#define _GNU_SOURCE
#include <stdbool.h>	/* LibreOfficeKit.h uses bool without including it */
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#pragma GCC diagnostic ignored "-Wunused-function"
#include <LibreOfficeKit/LibreOfficeKitInit.h>
#pragma GCC diagnostic pop
#include <LibreOfficeKit/LibreOfficeKit.h>

#include "officewarm.h"

#define WARM_URL_MAX	128

static int
answer(uint32_t a)
{
	struct officewarm_reply r = { .magic = OFFICEWARM_MAGIC, .answer = a };

	return send(OFFICEPDF_CONN_FD, &r, sizeof r, MSG_NOSIGNAL) == (ssize_t)sizeof r ? 0 : -1;
}

/* Letters, digits, '.', '_' and '-', not starting with '.', NUL-terminated in n. */
static int
plain_name(const char *s, size_t n)
{
	size_t i, len = strnlen(s, n);

	if (len == 0 || len == n || s[0] == '.')
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

static uint32_t
convert(LibreOfficeKit *kit, const struct officewarm_request *rq)
{
	char in[WARM_URL_MAX], out[WARM_URL_MAX];
	LibreOfficeKitDocument *doc;
	int ok;

	snprintf(in, sizeof in, "file:///work/%s/input.%s", rq->job, rq->ext);
	snprintf(out, sizeof out, "file:///work/%s/output.pdf", rq->job);
	/* Batch: no dialog waits for an answer that will never come. */
	doc = kit->pClass->documentLoadWithOptions(kit, in, "Batch=true");
	if (doc == NULL)
		return OFFICEWARM_LOAD_FAILED;
	ok = doc->pClass->saveAs(doc, out, "pdf", NULL);
	doc->pClass->destroy(doc);
	return ok ? OFFICEWARM_DONE : OFFICEWARM_SAVE_FAILED;
}

/* Before the first file: an empty document of each kind created, saved as OOXML and
 * as PDF, and the OOXML loaded again, in the cage's /tmp. The first load of a module
 * and of its import and export filters costs ~1 s each, paid here while the converter
 * is not yet needed rather than by a citizen's file. Failures only leave it colder. */
static void
warm_up(LibreOfficeKit *kit)
{
	static const char *const kinds[][2] = { { "private:factory/swriter", "docx" },
						{ "private:factory/scalc", "xlsx" },
						{ "private:factory/simpress", "pptx" } };
	LibreOfficeKitDocument *doc;
	char url[WARM_URL_MAX];
	size_t i;

	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		doc = kit->pClass->documentLoadWithOptions(kit, kinds[i][0], "Batch=true");
		if (doc == NULL)
			continue;
		snprintf(url, sizeof url, "file:///tmp/warm-up.%s", kinds[i][1]);
		(void)doc->pClass->saveAs(doc, url, kinds[i][1], NULL);
		(void)doc->pClass->saveAs(doc, "file:///tmp/warm-up.pdf", "pdf", NULL);
		doc->pClass->destroy(doc);
		if ((doc = kit->pClass->documentLoadWithOptions(kit, url, "Batch=true")) != NULL)
			doc->pClass->destroy(doc);
	}
}

int
main(void)
{
	struct officewarm_request rq;
	LibreOfficeKit *kit;
	ssize_t n;

	/* Exec'd from a descriptor, it would be called by the descriptor's number. */
	(void)prctl(PR_SET_NAME, "sekisho-office", 0, 0, 0);
	kit = lok_init_2(OFFICEWARM_INSTALL, "file:///work/profile");
	if (kit == NULL)
		_exit(1);
	warm_up(kit);
	if (answer(OFFICEWARM_READY) != 0)
		_exit(1);
	for (;;) {
		n = recv(OFFICEPDF_CONN_FD, &rq, sizeof rq, 0);
		if (n != (ssize_t)sizeof rq || rq.magic != OFFICEWARM_MAGIC ||
		    !plain_name(rq.job, sizeof rq.job) || !plain_name(rq.ext, sizeof rq.ext))
			break;
		if (answer(convert(kit, &rq)) != 0)
			break;
	}
	/* LibreOffice's own shutdown can take long; the cage's end is the cleanup. */
	_exit(0);
}
