/*
 * detect.c — identify a file by its content alone.
 *
 * The invariant: nothing outside the file's bytes decides its type, and every byte
 * detection reads is reached through a bound named in detect.h. The file is read
 * with pread(2) at offsets checked against its size, never read whole: a prefix and
 * a suffix for magic numbers; the central directory (and at most one small member)
 * of a zip through libarchive; the FAT and directory chain of an OLE2 compound file,
 * each chain bounded in length so that a cycle ends the walk; and, for text, one or
 * two validating passes over at most DETECT_TEXT_MAX bytes.
 *
 * Detection errs towards DETECT_UNKNOWN: a file that is almost a PNG, or a zip whose
 * directory cannot be walked within the bounds, is unknown and is refused upstream.
 * A type is only a claim about structure; the reconstructors still treat the bytes
 * as hostile.
 */
#define _GNU_SOURCE		/* memmem */
#include <errno.h>
#include <iconv.h>
#include <locale.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "detect.h"
#include "unpack.h"

#define ZIP_IO_CHUNK	(64u * 1024)	/* libarchive reads the file in these */
#define TEXT_CHUNK	(64u * 1024)
#define CFB_HEADER_LEN	512
#define CFB_DIRENT_LEN	128
#define CFB_HEADER_DIFAT 109		/* FAT sector numbers held in the header */
#define CFB_MAXREGSECT	0xFFFFFFFAu
#define CFB_ENDOFCHAIN	0xFFFFFFFEu

static const char *const type_names[DETECT_TYPE_COUNT] = {
	[DETECT_UNKNOWN] = "unknown",
	[DETECT_PDF] = "pdf",
	[DETECT_JPEG] = "jpeg",
	[DETECT_PNG] = "png",
	[DETECT_GIF] = "gif",
	[DETECT_TIFF] = "tiff",
	[DETECT_BMP] = "bmp",
	[DETECT_WEBP] = "webp",
	[DETECT_HEIC] = "heic",
	[DETECT_DOCX] = "docx",
	[DETECT_DOCM] = "docm",
	[DETECT_XLSX] = "xlsx",
	[DETECT_XLSM] = "xlsm",
	[DETECT_PPTX] = "pptx",
	[DETECT_PPTM] = "pptm",
	[DETECT_ODT] = "odt",
	[DETECT_ODS] = "ods",
	[DETECT_ODP] = "odp",
	[DETECT_ZIP] = "zip",
	[DETECT_DOC] = "doc",
	[DETECT_XLS] = "xls",
	[DETECT_PPT] = "ppt",
	[DETECT_OOXML_ENCRYPTED] = "ooxml-encrypted",
	[DETECT_TEXT] = "text",
};

const char *
detect_type_name(enum detect_type type)
{
	if ((unsigned)type >= DETECT_TYPE_COUNT)
		return "unknown";
	return type_names[type];
}

/* What one detection knows about the file: its size and the two windows. */
struct probe {
	int fd;
	uint64_t size;
	uint8_t head[DETECT_PREFIX_LEN];
	size_t head_len;
	uint8_t tail[DETECT_SUFFIX_LEN];
	size_t tail_len;
};

static uint16_t
le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
	    (uint32_t)p[3];
}

/* Read exactly len bytes at off, or fail: -errno, or -EIO for a short file. */
static int
pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		n = pread(fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* ---- images and PDF: magic numbers in the prefix ------------------------------ */

static bool
is_pdf(const struct probe *pr, unsigned *flags)
{
	size_t within = pr->head_len < DETECT_PDF_HEADER_WITHIN + 5 ?
	    pr->head_len : DETECT_PDF_HEADER_WITHIN + 5;

	if (memmem(pr->head, within, "%PDF-", 5) == NULL)
		return false;
	/* Readers look for the trailer backwards from the end; one without it is a
	 * cut-off upload, which rendering would only half-show. */
	if (memmem(pr->tail, pr->tail_len, "%%EOF", 5) == NULL)
		*flags |= DETECT_F_TRUNCATED;
	return true;
}

static bool
is_png(const struct probe *pr, unsigned *flags)
{
	static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

	if (pr->head_len < 8 || memcmp(pr->head, sig, 8) != 0)
		return false;
	/* The first chunk must be a whole IHDR of 13 bytes, and IEND must be near the
	 * end (a PNG decoder stops there; bytes after it are trailing junk at most). */
	if (pr->head_len < 8 + 8 + 13 + 4 || be32(pr->head + 8) != 13 ||
	    memcmp(pr->head + 12, "IHDR", 4) != 0 ||
	    memmem(pr->tail, pr->tail_len, "IEND", 4) == NULL)
		*flags |= DETECT_F_TRUNCATED;
	return true;
}

static bool
is_jpeg(const struct probe *pr)
{
	/* SOI then the start of another marker. No EOI is required at the end: phone
	 * "motion photos" append a video after the JPEG, and the decoder, not this
	 * check, is what meets truncation. */
	return pr->head_len >= 4 && pr->head[0] == 0xff && pr->head[1] == 0xd8 &&
	    pr->head[2] == 0xff;
}

static bool
is_gif(const struct probe *pr)
{
	return pr->head_len >= 13 && (memcmp(pr->head, "GIF87a", 6) == 0 ||
	    memcmp(pr->head, "GIF89a", 6) == 0);
}

static bool
is_tiff(const struct probe *pr)
{
	uint32_t ifd;

	if (pr->head_len < 8)
		return false;
	if (memcmp(pr->head, "II*\0", 4) == 0)
		ifd = le32(pr->head + 4);
	else if (memcmp(pr->head, "MM\0*", 4) == 0)
		ifd = be32(pr->head + 4);
	else
		return false;
	return ifd >= 8 && ifd < pr->size;
}

/*
 * Whether a TIFF has a second page: the first IFD's "next IFD" offset, read where
 * it is (2 + 12 * entries bytes past the IFD's start), points into the file. Only
 * the rebuild's shape depends on the answer (a PDF of pages rather than an image);
 * the render child counts the pages itself and is bounded on its own.
 */
static bool
tiff_has_pages(const struct probe *pr)
{
	bool le = pr->head[0] == 'I';
	uint32_t ifd = le ? le32(pr->head + 4) : be32(pr->head + 4), next;
	uint8_t b[4];
	uint64_t at;

	if (pread_full(pr->fd, b, 2, ifd) != 0)
		return false;
	at = (uint64_t)ifd + 2 + 12 * (uint64_t)(le ? le16(b) : be16(b));
	if (at + 4 > pr->size || pread_full(pr->fd, b, 4, at) != 0)
		return false;
	next = le ? le32(b) : be32(b);
	return next >= 8 && (uint64_t)next + 2 <= pr->size;
}

static bool
is_bmp(const struct probe *pr)
{
	uint32_t dib;

	if (pr->head_len < 18 || pr->head[0] != 'B' || pr->head[1] != 'M')
		return false;
	/* "BM" alone is too common a start of text; the DIB header size pins it. */
	dib = le32(pr->head + 14);
	return dib == 12 || dib == 40 || dib == 52 || dib == 56 || dib == 64 ||
	    dib == 108 || dib == 124;
}

static bool
is_webp(const struct probe *pr)
{
	const uint8_t *c = pr->head + 12;

	return pr->head_len >= 16 && memcmp(pr->head, "RIFF", 4) == 0 &&
	    memcmp(pr->head + 8, "WEBP", 4) == 0 && (memcmp(c, "VP8 ", 4) == 0 ||
	    memcmp(c, "VP8L", 4) == 0 || memcmp(c, "VP8X", 4) == 0);
}

/*
 * Whether a WebP's picture is lossy (a "VP8 " bitstream) rather than lossless
 * ("VP8L"). A simple file opens with its bitstream chunk; an extended one ("VP8X")
 * has ICCP, ANIM or ALPH chunks before it, and an ICC profile may be larger than
 * the head, so chunk headers are read where they are, at most
 * DETECT_WEBP_MAX_CHUNKS of them. Only the output encoding depends on the answer
 * (a lossy input may leave as JPEG), so "not found" simply means lossless.
 */
static bool
webp_is_lossy(const struct probe *pr)
{
	uint64_t off = 12;
	uint8_t ch[8];
	unsigned i;

	for (i = 0; i < DETECT_WEBP_MAX_CHUNKS && off + 8 <= pr->size; i++) {
		if (pread_full(pr->fd, ch, 8, off) != 0)
			return false;
		if (memcmp(ch, "VP8 ", 4) == 0)
			return true;
		if (memcmp(ch, "VP8L", 4) == 0 || memcmp(ch, "ANMF", 4) == 0)
			return false;
		off += 8 + (uint64_t)le32(ch + 4) + (le32(ch + 4) & 1);	/* padded to even */
	}
	return false;
}

static bool
heif_brand(const uint8_t *b)
{
	static const char brands[][5] = {
		"heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1", "heif",
	};
	size_t i;

	for (i = 0; i < sizeof(brands) / sizeof(brands[0]); i++)
		if (memcmp(b, brands[i], 4) == 0)
			return true;
	return false;
}

static bool
is_heif(const struct probe *pr)
{
	uint32_t box, off;

	if (pr->head_len < 16 || memcmp(pr->head + 4, "ftyp", 4) != 0)
		return false;
	box = be32(pr->head);
	if (box < 16 || box > pr->head_len || box % 4 != 0)
		return false;
	/* AVIF shares the HEIF container (and lists mif1), but not our decoders. */
	if (memcmp(pr->head + 8, "avif", 4) == 0 || memcmp(pr->head + 8, "avis", 4) == 0)
		return false;
	if (heif_brand(pr->head + 8))
		return true;
	for (off = 16; off + 4 <= box; off += 4)
		if (heif_brand(pr->head + off))
			return true;
	return false;
}

/* ---- zip: OOXML, OpenDocument or plain ---------------------------------------- */

struct zsrc {
	int fd;
	uint64_t size, pos;
	uint8_t buf[ZIP_IO_CHUNK];
};

static la_ssize_t
zsrc_read(struct archive *a, void *arg, const void **out)
{
	struct zsrc *z = arg;
	ssize_t n;

	*out = z->buf;
	do
		n = pread(z->fd, z->buf, sizeof(z->buf), (off_t)z->pos);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		archive_set_error(a, errno, "read failed");
		return -1;
	}
	z->pos += (uint64_t)n;
	return n;
}

static la_int64_t
zsrc_seek(struct archive *a, void *arg, la_int64_t off, int whence)
{
	struct zsrc *z = arg;
	int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ?
	    (int64_t)z->pos : (int64_t)z->size;

	(void)a;
	if (off > INT64_MAX - base || base + off < 0)
		return ARCHIVE_FATAL;
	z->pos = (uint64_t)(base + off);
	return (la_int64_t)z->pos;
}

static la_int64_t
zsrc_skip(struct archive *a, void *arg, la_int64_t req)
{
	struct zsrc *z = arg;
	uint64_t left = z->pos < z->size ? z->size - z->pos : 0;

	(void)a;
	if (req <= 0)
		return 0;
	if ((uint64_t)req > left)
		req = (la_int64_t)left;
	z->pos += (uint64_t)req;
	return req;
}

/* Read a member's data into buf (at most cap-1 bytes, NUL-terminated). */
static ssize_t
zip_read_member(struct archive *a, char *buf, size_t cap)
{
	size_t got = 0;
	la_ssize_t n;

	while (got < cap - 1) {
		n = archive_read_data(a, buf + got, cap - 1 - got);
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	return (ssize_t)got;
}

#define CT_PREFIX "application/vnd."

static const struct {
	const char *content_type;	/* after CT_PREFIX */
	enum detect_type type;
} ooxml_main_types[] = {
	{ "openxmlformats-officedocument.wordprocessingml.document.main+xml", DETECT_DOCX },
	{ "openxmlformats-officedocument.wordprocessingml.template.main+xml", DETECT_DOCX },
	{ "ms-word.document.macroEnabled.main+xml", DETECT_DOCM },
	{ "ms-word.template.macroEnabledTemplate.main+xml", DETECT_DOCM },
	{ "openxmlformats-officedocument.spreadsheetml.sheet.main+xml", DETECT_XLSX },
	{ "openxmlformats-officedocument.spreadsheetml.template.main+xml", DETECT_XLSX },
	{ "ms-excel.sheet.macroEnabled.main+xml", DETECT_XLSM },
	{ "ms-excel.template.macroEnabled.main+xml", DETECT_XLSM },
	{ "openxmlformats-officedocument.presentationml.presentation.main+xml", DETECT_PPTX },
	{ "openxmlformats-officedocument.presentationml.slideshow.main+xml", DETECT_PPTX },
	{ "openxmlformats-officedocument.presentationml.template.main+xml", DETECT_PPTX },
	{ "ms-powerpoint.presentation.macroEnabled.main+xml", DETECT_PPTM },
	{ "ms-powerpoint.slideshow.macroEnabled.main+xml", DETECT_PPTM },
	{ "ms-powerpoint.template.macroEnabled.main+xml", DETECT_PPTM },
};

static enum detect_type
ooxml_type(const char *ct, size_t len, unsigned *flags)
{
	enum detect_type t = DETECT_UNKNOWN;
	char want[160];
	size_t i;

	for (i = 0; i < sizeof(ooxml_main_types) / sizeof(ooxml_main_types[0]); i++) {
		snprintf(want, sizeof(want), "\"%s%s\"", CT_PREFIX,
		    ooxml_main_types[i].content_type);
		if (memmem(ct, len, want, strlen(want)) != NULL) {
			t = ooxml_main_types[i].type;
			break;
		}
	}
	if (t == DETECT_DOCM || t == DETECT_XLSM || t == DETECT_PPTM ||
	    memmem(ct, len, "application/vnd.ms-office.vbaProject", 36) != NULL)
		*flags |= DETECT_F_MACRO;
	return t;
}

static enum detect_type
odf_type(const char *mt)
{
	static const char odf[] = "application/vnd.oasis.opendocument.";
	const char *kind;

	if (strncmp(mt, odf, sizeof(odf) - 1) != 0)
		return DETECT_UNKNOWN;
	kind = mt + sizeof(odf) - 1;
	if (strcmp(kind, "text") == 0)
		return DETECT_ODT;
	if (strcmp(kind, "spreadsheet") == 0)
		return DETECT_ODS;
	if (strcmp(kind, "presentation") == 0)
		return DETECT_ODP;
	return DETECT_UNKNOWN;
}

static bool
name_is_vba(const char *name)
{
	const char *base = strrchr(name, '/');

	base = base != NULL ? base + 1 : name;
	return strcasecmp(base, "vbaProject.bin") == 0 ||
	    strcasecmp(base, "vbaData.xml") == 0;
}

/* OpenDocument keeps Basic libraries under Basic/ and other script languages
 * (BeanShell, JavaScript, Python) under Scripts/. */
static bool
name_is_odf_script(const char *name)
{
	return strncmp(name, "Basic/", 6) == 0 || strncmp(name, "Scripts/", 8) == 0;
}

/* Walk the central directory; read [Content_Types].xml and mimetype only. */
static int
detect_zip(int fd, uint64_t size, struct detect_result *out)
{
	struct zsrc *z;
	struct archive *a;
	struct archive_entry *e;
	enum detect_type t = DETECT_UNKNOWN;
	char *ct = NULL, *manifest = NULL;
	char mimetype[128];
	locale_t utf8 = (locale_t)0, prev = (locale_t)0;
	bool odf_script = false;
	ssize_t manifest_len = 0;
	size_t members = 0;
	int r;

	out->type = DETECT_UNKNOWN;
	if ((z = calloc(1, sizeof(*z))) == NULL)
		return -ENOMEM;
	if ((a = archive_read_new()) == NULL) {
		free(z);
		return -ENOMEM;
	}
	z->fd = fd;
	z->size = size;
	mimetype[0] = '\0';
	/* Office reads a zip by its central directory, and so does the seekable
	 * reader: the local headers a streaming reader would trust can disagree. */
	archive_read_support_format_zip_seekable(a);
	archive_read_set_callback_data(a, z);
	archive_read_set_read_callback(a, zsrc_read);
	archive_read_set_seek_callback(a, zsrc_seek);
	archive_read_set_skip_callback(a, zsrc_skip);
	/* Member names as UTF-8 for this thread (unpack.h says why), restored below. */
	if ((utf8 = unpack_names_locale()) != (locale_t)0)
		prev = uselocale(utf8);
	if (archive_read_open1(a) != ARCHIVE_OK) {
		out->flags |= DETECT_F_TRUNCATED;
		goto done;
	}
	for (;;) {
		const char *name;

		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			out->flags |= DETECT_F_TRUNCATED;
			goto done;
		}
		if (++members > DETECT_ZIP_MAX_MEMBERS)
			goto done;
		name = archive_entry_pathname(e);
		if (name == NULL || strlen(name) > DETECT_ZIP_MAX_NAME)
			goto done;
		if (archive_entry_is_encrypted(e))
			out->flags |= DETECT_F_ENCRYPTED;
		if (name_is_vba(name))
			out->flags |= DETECT_F_MACRO;
		if (name_is_odf_script(name))
			odf_script = true;
		/* The first of duplicated names wins; duplicates are for the OOXML part
		 * filter to refuse, not for detection to resolve. */
		if (ct == NULL && strcmp(name, "[Content_Types].xml") == 0 &&
		    !archive_entry_is_encrypted(e)) {
			if ((ct = malloc(DETECT_ZIP_MAX_READ + 1)) == NULL) {
				free(manifest);
				archive_read_free(a);
				free(z);
				return -ENOMEM;
			}
			if (zip_read_member(a, ct, DETECT_ZIP_MAX_READ + 1) < 0)
				ct[0] = '\0';
		} else if (manifest == NULL && strcmp(name, "META-INF/manifest.xml") == 0 &&
		    !archive_entry_is_encrypted(e)) {
			/* ODF encryption is per member, inside the zip's plain members:
			 * only the manifest says so. */
			if ((manifest = malloc(DETECT_ZIP_MAX_READ + 1)) == NULL) {
				free(ct);
				archive_read_free(a);
				free(z);
				return -ENOMEM;
			}
			if ((manifest_len = zip_read_member(a, manifest,
			    DETECT_ZIP_MAX_READ + 1)) < 0)
				manifest_len = 0;
		} else if (mimetype[0] == '\0' && strcmp(name, "mimetype") == 0 &&
		    !archive_entry_is_encrypted(e)) {
			if (zip_read_member(a, mimetype, sizeof(mimetype)) < 0)
				mimetype[0] = '\0';
			mimetype[strcspn(mimetype, "\r\n")] = '\0';
		}
	}
	if (ct != NULL)
		t = ooxml_type(ct, strlen(ct), &out->flags);
	if (t == DETECT_UNKNOWN && mimetype[0] != '\0') {
		t = odf_type(mimetype);
		if (t != DETECT_UNKNOWN && manifest != NULL &&
		    memmem(manifest, (size_t)manifest_len, "encryption-data", 15) != NULL)
			out->flags |= DETECT_F_ENCRYPTED;
		if (t != DETECT_UNKNOWN && odf_script)
			out->flags |= DETECT_F_MACRO;
	}
	out->type = t != DETECT_UNKNOWN ? t : DETECT_ZIP;
done:
	if (utf8 != (locale_t)0) {
		uselocale(prev);
		freelocale(utf8);
	}
	free(ct);
	free(manifest);
	archive_read_free(a);
	free(z);
	return 0;
}

/* ---- OLE2 compound files: legacy Office and encrypted OOXML -------------------- */

struct cfb {
	int fd;
	uint64_t size;
	uint8_t hdr[CFB_HEADER_LEN];
	unsigned shift;		/* sector size is 1 << shift: 512 or 4096 */
	uint32_t ssz;
	uint32_t nfat;
	uint32_t cutoff;	/* streams below this size live in the mini stream */
};

struct cfb_stream {
	bool present;
	uint32_t start;
	uint64_t size;
};

struct cfb_found {
	struct cfb_stream word, workbook, ppt;
	bool enc_info, enc_package, enc_summary, vba;
};

static int
cfb_sector_off(const struct cfb *c, uint32_t sec, uint64_t *off)
{
	uint64_t o;

	if (sec > CFB_MAXREGSECT)
		return -1;
	o = ((uint64_t)sec + 1) << c->shift;
	if (o > c->size || c->size - o < c->ssz)
		return -1;
	*off = o;
	return 0;
}

static int
cfb_u32(const struct cfb *c, uint32_t sec, uint32_t index, uint32_t *v)
{
	uint8_t b[4];
	uint64_t off;

	if (cfb_sector_off(c, sec, &off) != 0 || index >= c->ssz / 4 ||
	    pread_full(c->fd, b, 4, off + (uint64_t)index * 4) != 0)
		return -1;
	*v = le32(b);
	return 0;
}

/* The sector number of the idx'th FAT sector: from the header's DIFAT, else by
 * following the DIFAT chain, which is bounded like every other chain here. */
static int
cfb_fat_sector(const struct cfb *c, uint32_t idx, uint32_t *sec)
{
	uint32_t per = c->ssz / 4 - 1, d, hops;

	if (idx >= c->nfat)
		return -1;
	if (idx < CFB_HEADER_DIFAT) {
		*sec = le32(c->hdr + 0x4c + idx * 4);
		return 0;
	}
	idx -= CFB_HEADER_DIFAT;
	d = le32(c->hdr + 0x44);
	if (idx / per >= DETECT_CFB_MAX_DIFAT_SECTORS)
		return -1;
	for (hops = idx / per; hops > 0; hops--)
		if (cfb_u32(c, d, per, &d) != 0)
			return -1;
	return cfb_u32(c, d, idx % per, sec);
}

static int
cfb_next(const struct cfb *c, uint32_t sec, uint32_t *next)
{
	uint32_t per = c->ssz / 4, fs;

	if (cfb_fat_sector(c, sec / per, &fs) != 0)
		return -1;
	return cfb_u32(c, fs, sec % per, next);
}

/* Directory entry names are UTF-16LE; the ones we look for are all ASCII. */
static bool
cfb_name(const uint8_t *ent, char *name, size_t cap)
{
	uint16_t len = le16(ent + 0x40), i, ch;

	if (len < 2 || len > 64 || len % 2 != 0 || (size_t)len / 2 > cap)
		return false;
	for (i = 0; i < len / 2 - 1; i++) {
		ch = le16(ent + i * 2);
		if (ch == 0 || ch >= 0x80)
			return false;
		name[i] = (char)ch;
	}
	name[i] = '\0';
	return true;
}

static void
cfb_note(const uint8_t *ent, struct cfb_found *f)
{
	char name[33];
	struct cfb_stream *s = NULL;
	uint8_t kind = ent[0x42];

	if ((kind != 1 && kind != 2) || !cfb_name(ent, name, sizeof(name)))
		return;
	if (strcasecmp(name, "WordDocument") == 0)
		s = &f->word;
	else if (strcasecmp(name, "Workbook") == 0 || strcasecmp(name, "Book") == 0)
		s = &f->workbook;
	else if (strcasecmp(name, "PowerPoint Document") == 0)
		s = &f->ppt;
	else if (strcasecmp(name, "EncryptionInfo") == 0)
		f->enc_info = true;
	else if (strcasecmp(name, "EncryptedPackage") == 0)
		f->enc_package = true;
	else if (strcasecmp(name, "EncryptedSummary") == 0)
		f->enc_summary = true;
	else if (strcasecmp(name, "Macros") == 0 || strcasecmp(name, "_VBA_PROJECT_CUR") == 0 ||
	    strcasecmp(name, "VBA") == 0 || strcasecmp(name, "_VBA_PROJECT") == 0)
		f->vba = true;
	if (s != NULL && kind == 2 && !s->present) {
		s->present = true;
		s->start = le32(ent + 0x74);
		s->size = le32(ent + 0x78);	/* the high half is unused in v3 files */
	}
}

/* Read the first bytes of a stream that lives in regular sectors. */
static int
cfb_stream_head(const struct cfb *c, const struct cfb_stream *s, uint8_t *buf,
    size_t len)
{
	uint64_t off;

	if (!s->present || s->size < c->cutoff || s->size < len || len > c->ssz ||
	    cfb_sector_off(c, s->start, &off) != 0)
		return -1;
	return pread_full(c->fd, buf, len, off);
}

/* Word's FIB carries fEncrypted; Excel's globals put FILEPASS right after BOF. */
static bool
cfb_legacy_encrypted(const struct cfb *c, const struct cfb_found *f)
{
	uint8_t b[32];
	uint16_t len;

	if (f->enc_summary)
		return true;	/* PowerPoint's CryptoAPI encryption */
	if (f->word.present && cfb_stream_head(c, &f->word, b, 12) == 0 &&
	    le16(b) == 0xa5ec && (le16(b + 0x0a) & 0x0100) != 0)
		return true;
	if (f->workbook.present && cfb_stream_head(c, &f->workbook, b, sizeof(b)) == 0 &&
	    le16(b) == 0x0809) {
		len = le16(b + 2);
		if (4u + len + 2 <= sizeof(b) && le16(b + 4 + len) == 0x002f)
			return true;
	}
	return false;
}

static int
detect_cfb(int fd, uint64_t size, struct detect_result *out)
{
	struct cfb c = { .fd = fd, .size = size };
	struct cfb_found f = { 0 };
	uint8_t *sector;
	uint32_t sec, n, i;

	out->type = DETECT_UNKNOWN;
	if (size < CFB_HEADER_LEN || pread_full(fd, c.hdr, CFB_HEADER_LEN, 0) != 0) {
		out->flags |= DETECT_F_TRUNCATED;
		return 0;
	}
	c.shift = le16(c.hdr + 0x1e);
	if (le16(c.hdr + 0x1c) != 0xfffe || (c.shift != 9 && c.shift != 12))
		return 0;
	c.ssz = 1u << c.shift;
	c.nfat = le32(c.hdr + 0x2c);
	c.cutoff = le32(c.hdr + 0x38);
	if (c.nfat > CFB_HEADER_DIFAT + DETECT_CFB_MAX_DIFAT_SECTORS * (c.ssz / 4 - 1))
		return 0;
	if ((sector = malloc(c.ssz)) == NULL)
		return -ENOMEM;
	sec = le32(c.hdr + 0x30);
	for (n = 0; sec != CFB_ENDOFCHAIN; n++) {
		uint64_t off;

		if (n >= DETECT_CFB_MAX_DIR_SECTORS || cfb_sector_off(&c, sec, &off) != 0 ||
		    pread_full(fd, sector, c.ssz, off) != 0) {
			/* A directory we cannot walk to its end is not trusted at all. */
			out->flags |= DETECT_F_TRUNCATED;
			free(sector);
			return 0;
		}
		for (i = 0; i + CFB_DIRENT_LEN <= c.ssz; i += CFB_DIRENT_LEN)
			cfb_note(sector + i, &f);
		if (cfb_next(&c, sec, &sec) != 0) {
			out->flags |= DETECT_F_TRUNCATED;
			free(sector);
			return 0;
		}
	}
	free(sector);

	if (f.enc_info && f.enc_package) {
		out->type = DETECT_OOXML_ENCRYPTED;
		out->flags |= DETECT_F_ENCRYPTED;
		return 0;
	}
	if (f.word.present)
		out->type = DETECT_DOC;
	else if (f.workbook.present)
		out->type = DETECT_XLS;
	else if (f.ppt.present)
		out->type = DETECT_PPT;
	else
		return 0;	/* MSI, Outlook .msg, ...: OLE2 but not a document */
	if (f.vba)
		out->flags |= DETECT_F_MACRO;
	if (cfb_legacy_encrypted(&c, &f))
		out->flags |= DETECT_F_ENCRYPTED;
	return 0;
}

/* ---- text: UTF-8 or CP932, validated over the whole file ---------------------- */

/* Controls other than TAB, LF, FF and CR make a file binary, whatever else it is.
 * Below 0x20 a byte is always a character of its own in both encodings. */
static bool
text_byte_ok(uint8_t c)
{
	return c >= 0x20 || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

struct utf8_state {
	unsigned need;		/* continuation bytes still expected */
	uint8_t lo, hi;		/* range of the next continuation byte */
};

/* Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF), fed in
 * chunks that may split a sequence. */
static bool
utf8_feed(struct utf8_state *s, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (s->need > 0) {
			if (c < s->lo || c > s->hi)
				return false;
			s->lo = 0x80;
			s->hi = 0xbf;
			s->need--;
			continue;
		}
		s->lo = 0x80;
		s->hi = 0xbf;
		if (c < 0x80) {
			if (!text_byte_ok(c))
				return false;
		} else if (c >= 0xc2 && c <= 0xdf) {
			s->need = 1;
		} else if (c == 0xe0) {
			s->need = 2;
			s->lo = 0xa0;
		} else if (c == 0xed) {
			s->need = 2;
			s->hi = 0x9f;
		} else if (c >= 0xe1 && c <= 0xef) {
			s->need = 2;
		} else if (c == 0xf0) {
			s->need = 3;
			s->lo = 0x90;
		} else if (c >= 0xf1 && c <= 0xf3) {
			s->need = 3;
		} else if (c == 0xf4) {
			s->need = 3;
			s->hi = 0x8f;
		} else {
			return false;
		}
	}
	return true;
}

/* Convert a chunk of CP932 to nowhere, to learn whether it is valid. *carry holds
 * a lead byte split from its trail by the chunk boundary. */
static bool
cp932_feed(iconv_t cd, const uint8_t *p, size_t n, uint8_t *carry, size_t *ncarry,
    bool last)
{
	uint8_t in[TEXT_CHUNK + 4];
	char outbuf[1024];
	char *ip = (char *)in, *op;
	size_t il, ol;
	size_t i;

	for (i = 0; i < n; i++)
		if (!text_byte_ok(p[i]))
			return false;
	memcpy(in, carry, *ncarry);
	memcpy(in + *ncarry, p, n);
	il = *ncarry + n;
	*ncarry = 0;
	while (il > 0) {
		op = outbuf;
		ol = sizeof(outbuf);
		if (iconv(cd, &ip, &il, &op, &ol) != (size_t)-1)
			continue;
		if (errno == E2BIG)
			continue;
		if (errno == EINVAL && !last && il <= 2) {
			memcpy(carry, ip, il);
			*ncarry = il;
			return true;
		}
		return false;
	}
	return true;
}

static bool
looks_like_markup(const uint8_t *p, size_t n)
{
	static const char *const opens[] = {
		"<!doctype", "<html", "<?xml", "<svg", "<script", "<head", "<body",
		"<iframe", "<!--",
	};
	size_t i;

	if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
		p += 3;
		n -= 3;
	}
	while (n > 0 && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
		p++;
		n--;
	}
	for (i = 0; i < sizeof(opens) / sizeof(opens[0]); i++) {
		size_t l = strlen(opens[i]);

		if (n >= l && strncasecmp((const char *)p, opens[i], l) == 0)
			return true;
	}
	return false;
}

static int
detect_text(const struct probe *pr, struct detect_result *out)
{
	struct utf8_state u = { 0 };
	uint8_t *buf, carry[4];
	size_t ncarry = 0;
	uint64_t off;
	bool utf8 = true, sjis = true;
	iconv_t cd;
	int rc = 0;

	if (pr->size > DETECT_TEXT_MAX)
		return 0;
	if ((buf = malloc(TEXT_CHUNK)) == NULL)
		return -ENOMEM;
	for (off = 0; off < pr->size && utf8; off += TEXT_CHUNK) {
		size_t n = pr->size - off < TEXT_CHUNK ? (size_t)(pr->size - off) : TEXT_CHUNK;

		if ((rc = pread_full(pr->fd, buf, n, off)) != 0)
			goto done;
		utf8 = utf8_feed(&u, buf, n);
	}
	utf8 = utf8 && u.need == 0;
	if (!utf8) {
		if ((cd = iconv_open("UTF-8", "CP932")) == (iconv_t)-1) {
			rc = -errno;
			goto done;
		}
		for (off = 0; off < pr->size && sjis; off += TEXT_CHUNK) {
			size_t n = pr->size - off < TEXT_CHUNK ?
			    (size_t)(pr->size - off) : TEXT_CHUNK;

			if ((rc = pread_full(pr->fd, buf, n, off)) != 0) {
				iconv_close(cd);
				goto done;
			}
			sjis = cp932_feed(cd, buf, n, carry, &ncarry, off + n >= pr->size);
		}
		iconv_close(cd);
	}
	if (utf8 || sjis) {
		/* Browsers sniff markup and run it; a text procedure wants none. */
		if (looks_like_markup(pr->head, pr->head_len)) {
			out->flags |= DETECT_F_MARKUP;
		} else {
			out->type = DETECT_TEXT;
			out->flags |= utf8 ? DETECT_F_UTF8 : DETECT_F_SJIS;
		}
	}
done:
	free(buf);
	return rc;
}

/* ---- entry point --------------------------------------------------------------- */

int
detect_fd(int fd, struct detect_result *out)
{
	static const uint8_t cfb_magic[8] = { 0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1 };
	struct probe *pr;
	struct stat st;
	int rc = 0;

	out->type = DETECT_UNKNOWN;
	out->flags = 0;
	if (fstat(fd, &st) != 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;	/* pread and the suffix need a regular file */
	if (st.st_size == 0) {
		out->flags = DETECT_F_EMPTY;
		return 0;
	}
	if ((pr = calloc(1, sizeof(*pr))) == NULL)
		return -ENOMEM;
	pr->fd = fd;
	pr->size = (uint64_t)st.st_size;
	pr->head_len = pr->size < DETECT_PREFIX_LEN ? (size_t)pr->size : DETECT_PREFIX_LEN;
	pr->tail_len = pr->size < DETECT_SUFFIX_LEN ? (size_t)pr->size : DETECT_SUFFIX_LEN;
	if ((rc = pread_full(fd, pr->head, pr->head_len, 0)) != 0 ||
	    (rc = pread_full(fd, pr->tail, pr->tail_len, pr->size - pr->tail_len)) != 0)
		goto done;

	/* Fixed-offset magic numbers first: they cannot be satisfied by accident the
	 * way "%PDF- somewhere in the first KiB" can. */
	if (is_png(pr, &out->flags))
		out->type = DETECT_PNG;
	else if (is_jpeg(pr)) {
		out->type = DETECT_JPEG;
		out->flags |= DETECT_F_LOSSY;
	} else if (is_gif(pr))
		out->type = DETECT_GIF;
	else if (is_tiff(pr)) {
		out->type = DETECT_TIFF;
		if (tiff_has_pages(pr))
			out->flags |= DETECT_F_PAGES;
	}
	else if (is_webp(pr)) {
		out->type = DETECT_WEBP;
		if (webp_is_lossy(pr))
			out->flags |= DETECT_F_LOSSY;
	} else if (is_heif(pr)) {
		out->type = DETECT_HEIC;
		out->flags |= DETECT_F_LOSSY;	/* HEVC stills from phones */
	} else if (is_bmp(pr))
		out->type = DETECT_BMP;
	else if (pr->head_len >= 4 && (memcmp(pr->head, "PK\3\4", 4) == 0 ||
	    memcmp(pr->head, "PK\5\6", 4) == 0))
		rc = detect_zip(fd, pr->size, out);
	else if (pr->head_len >= 8 && memcmp(pr->head, cfb_magic, 8) == 0)
		rc = detect_cfb(fd, pr->size, out);
	else if (is_pdf(pr, &out->flags))
		out->type = DETECT_PDF;
	else
		rc = detect_text(pr, out);

	/* A structure cut short is not that type: the flag says why it is unknown. */
	if (out->flags & DETECT_F_TRUNCATED)
		out->type = DETECT_UNKNOWN;
done:
	free(pr);
	if (rc != 0) {
		out->type = DETECT_UNKNOWN;
		out->flags = 0;
	}
	return rc;
}
