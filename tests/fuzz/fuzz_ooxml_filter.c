/*
 * fuzz_ooxml_filter.c — the OOXML part filter and rebuild (ooxml.h) on arbitrary
 * parts: [Content_Types].xml, .rels and Word/Excel XML are all hostile.
 *
 * The input is a package in a framing that keeps the XML mutable: its first byte
 * chooses the kind ('x': xlsx, 'p': pptx, else docx), then parts, each "@@NAME\n" followed by
 * its bytes up to the next "\n@@" or the end (at most OOXML_MAX_PARTS + 1, so the
 * bound is reached). Whatever the bytes, ooxml_rebuild must stay in bounds, return
 * one of its codes, and, when it accepts, write a zip that libarchive reads back
 * whose members are [Content_Types].xml or input part names only, with nothing
 * external in any relationship. Seeds: tests/fuzz/corpus/fuzz_ooxml_filter/ (the
 * corpus docx, xlsx and pptx in this framing, made by the script in its README).
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "ooxml.h"

#define FUZZ_MAX_PARTS	(OOXML_MAX_PARTS + 1)
#define FUZZ_OUT_MAX	(1u << 20)	/* bytes of one rebuilt member read back */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
known(const char *name, const struct ooxml_part *p, uint32_t n)
{
	uint32_t i;

	if (strcmp(name, "[Content_Types].xml") == 0)
		return 1;
	for (i = 0; i < n; i++)
		if (strcmp(name, p[i].name) == 0)
			return 1;
	return 0;
}

/* The rebuilt zip, read back: only known names, no external relationship. */
static void
check(const struct rebuild_buf *b, const struct ooxml_part *p, uint32_t n)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	uint8_t *buf = malloc(FUZZ_OUT_MAX);
	la_ssize_t got;

	if (a == NULL || buf == NULL || archive_read_support_format_zip(a) != ARCHIVE_OK ||
	    archive_read_open_memory(a, b->p, b->len) != ARCHIVE_OK)
		abort();
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		size_t l = strlen(name);

		if (!known(name, p, n))
			abort();
		got = archive_read_data(a, buf, FUZZ_OUT_MAX);
		if (got < 0)
			abort();
		if (l > 5 && strcmp(name + l - 5, ".rels") == 0 &&
		    memmem(buf, (size_t)got, "TargetMode", 10) != NULL)
			abort();
	}
	archive_read_free(a);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ooxml_part *p;
	char **names;
	struct rebuild_buf out;
	struct ooxml_report rep;
	uint32_t n = 0, i;
	size_t at = 1;
	int rc;

	if (size < 1)
		return 0;
	p = calloc(FUZZ_MAX_PARTS, sizeof(*p));
	names = calloc(FUZZ_MAX_PARTS, sizeof(*names));
	if (p == NULL || names == NULL)
		abort();
	while (at + 2 <= size && n < FUZZ_MAX_PARTS && memcmp(data + at, "@@", 2) == 0) {
		const uint8_t *nl = memchr(data + at + 2, '\n', size - at - 2), *next;
		size_t start;

		if (nl == NULL)
			break;
		names[n] = strndup((const char *)data + at + 2, (size_t)(nl - data - at - 2));
		start = (size_t)(nl - data) + 1;
		next = memmem(data + start, size - start, "\n@@", 3);
		p[n].name = names[n];
		p[n].data = data + start;
		p[n].len = next != NULL ? (size_t)(next - data) - start : size - start;
		/* Names are unique in a zip (libarchive's reader keeps them so). */
		for (i = 0; i < n && strcmp(names[i], names[n]) != 0; i++)
			;
		if (i < n || strlen(names[n]) != (size_t)(nl - data - at - 2)) {
			free(names[n]);
			break;
		}
		n++;
		at = next != NULL ? (size_t)(next - data) + 1 : size;
	}
	rc = ooxml_rebuild(data[0] == 'x' ? OOXML_XLSX : data[0] == 'p' ? OOXML_PPTX : OOXML_DOCX,
	    p, n, &out, &rep);
	if (rc == OOXML_OK) {
		check(&out, p, n);
		rebuild_buf_free(&out);
	} else if (rc != OOXML_EMALFORMED && rc != OOXML_ELIMITS && rc != OOXML_ENOMAIN &&
		   rc != OOXML_ENOMEM && rc != OOXML_EARCHIVE) {
		abort();
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(p);
	return 0;
}
