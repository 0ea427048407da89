/*
 * spool.c — directories as durable queues.
 *
 * An item is a file that moves tmp/ -> new/ -> work/ -> done/ by rename(2) only,
 * and every rename is followed by fsync of the directories it touched; a file's
 * data is fsync'd before it first leaves tmp/. So after a crash an item is in
 * exactly one place, complete: never lost, never in two, never half-written.
 * Consumers must be idempotent by item id, because an item in work/ at crash time
 * is handed out again by spool_recover.
 *
 * Every rename refuses to replace an existing entry (RENAME_NOREPLACE). That is
 * what makes spool_put idempotent even when two producers race with one id, and
 * what keeps a bug elsewhere from silently overwriting an item.
 *
 * All names are resolved relative to the four directory descriptors opened by
 * spool_open, so a spool keeps working on the directories it opened even if its
 * root path is renamed, and no id is ever joined into a path to be resolved
 * from "/". Ids are checked on every call, since they often come from outside.
 *
 * Failures are returned as negative errno values (SPOOL_EBADID for a bad id).
 */
#define _GNU_SOURCE		/* renameat2, RENAME_NOREPLACE */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "fsio.h"
#include "spool.h"

/* spool_claim looks at no more than this many entries of new/ per call: past it,
 * "oldest" means oldest of those seen, which keeps a claim's cost bounded when a
 * consumer has fallen far behind. */
#define SPOOL_CLAIM_SCAN_MAX	10000
/* spool_count_new stops counting here (a metric, not an inventory). */
#define SPOOL_COUNT_MAX		1000000
/* A claim that loses the race for its chosen item to another consumer rescans;
 * after this many losses it gives up with -EAGAIN. */
#define SPOOL_CLAIM_RETRIES	16
/* A tmp/ file untouched for this long belongs to a producer that died; younger
 * ones may belong to a producer still streaming, in another process. */
#define SPOOL_TMP_STALE_SECS	3600
#define SPOOL_DIR_MODE		0770	/* producer and consumer may be two users */
#define SPOOL_FILE_MODE		0640
/* An attempt count past this is not ours: tries/ID is read as garbage, i.e. 0. */
#define SPOOL_TRIES_MAX		1000000
/* "/work/" plus an id plus NUL must fit after root in every path we build. */
#define SPOOL_SUFFIX_MAX	(sizeof("/work/") - 1 + SPOOL_ID_MAX + 1)

static const char *const subdir_names[] = { "tmp", "new", "work", "done" };

static int
neg_errno(void)
{
	return errno ? -errno : -EIO;
}

int
spool_valid_id(const char *id)
{
	size_t i;

	if (id == NULL || id[0] == '\0' || id[0] == '.')
		return 0;
	for (i = 0; id[i] != '\0'; i++) {
		unsigned char c = (unsigned char)id[i];

		if (i >= SPOOL_ID_MAX)
			return 0;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

static int
fsync_fd(int fd)
{
	while (fsync(fd) != 0) {
		if (errno != EINTR)
			return neg_errno();
	}
	return 0;
}

/* Move name from one spool directory to another without replacing anything,
 * then make both directory entries durable: the destination first, so that
 * a crash in between can leave the item visible twice but never nowhere (and
 * on the journalled file systems we run on, one rename is one transaction). */
static int
move(int fromfd, int tofd, const char *from, const char *to)
{
	int rc;

	if (renameat2(fromfd, from, tofd, to, RENAME_NOREPLACE) != 0) {
		if (errno != EINVAL && errno != ENOSYS)
			return neg_errno();
		/* A file system without RENAME_NOREPLACE: link(2) refuses to replace
		 * just as atomically; then drop the old name. */
		if (linkat(fromfd, from, tofd, to, 0) != 0)
			return neg_errno();
		if (unlinkat(fromfd, from, 0) != 0)
			return neg_errno();
	}
	if ((rc = fsync_fd(tofd)) != 0)
		return rc;
	if (fromfd != tofd && (rc = fsync_fd(fromfd)) != 0)
		return rc;
	return 0;
}

/* 1 if name is present in dirfd, 0 if not, negative errno on error. */
static int
present(int dirfd, const char *name)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return 1;
	return errno == ENOENT ? 0 : neg_errno();
}

/* Is id anywhere an item can be once published? Checked in the order an item
 * moves forward, so an item moving during the check is still seen; an item
 * moving back (spool_return) is caught by the NOREPLACE rename instead. */
static int
id_in_spool(struct spool *s, const char *id)
{
	int fds[3] = { s->newfd, s->workfd, s->donefd }, i, r;

	for (i = 0; i < 3; i++)
		if ((r = present(fds[i], id)) != 0)
			return r;
	return 0;
}

static void
close_fds(struct spool *s)
{
	int *fds[] = { &s->tmpfd, &s->newfd, &s->workfd, &s->donefd, &s->triesfd, &s->dirfd };
	size_t i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

int
spool_open(struct spool *s, const char *root, bool create)
{
	int *subfds[] = { &s->tmpfd, &s->newfd, &s->workfd, &s->donefd };
	size_t len, i;
	int rc, made = 0, made_root = 0;

	s->dirfd = s->tmpfd = s->newfd = s->workfd = s->donefd = s->triesfd = -1;
	s->root[0] = '\0';
	if (root == NULL || root[0] == '\0')
		return -EINVAL;
	len = strnlen(root, sizeof(s->root));
	if (len + SPOOL_SUFFIX_MAX > sizeof(s->root))
		return -ENAMETOOLONG;
	memcpy(s->root, root, len + 1);

	if (create) {
		if (mkdir(root, SPOOL_DIR_MODE) == 0)
			made_root = 1;
		else if (errno != EEXIST)
			return neg_errno();
	}
	if ((s->dirfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = neg_errno();
		goto err;
	}
	if (made_root) {
		/* The root's own entry must be durable too, in its parent. */
		int pfd = openat(s->dirfd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (pfd < 0) {
			rc = neg_errno();
			goto err;
		}
		rc = fsync_fd(pfd);
		close(pfd);
		if (rc != 0)
			goto err;
	}
	for (i = 0; i < 4; i++) {
		if (create) {
			if (mkdirat(s->dirfd, subdir_names[i], SPOOL_DIR_MODE) == 0)
				made = 1;
			else if (errno != EEXIST) {
				rc = neg_errno();
				goto err;
			}
		}
		*subfds[i] = openat(s->dirfd, subdir_names[i],
		    O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (*subfds[i] < 0) {
			rc = neg_errno();
			goto err;
		}
	}
	/* New subdirectories must survive a crash before anything is put in them. */
	if (made && (rc = fsync_fd(s->dirfd)) != 0)
		goto err;
	return 0;
err:
	close_fds(s);
	return rc;
}

void
spool_close(struct spool *s)
{
	if (s != NULL)
		close_fds(s);
}

/* The name of a tmp/ file, from the path spool_tmp_open gave out: it must be
 * root/tmp/NAME with NAME a single component. NULL if tmp_path is not one. */
static const char *
tmp_name(const struct spool *s, const char *tmp_path)
{
	size_t rlen = strlen(s->root);
	const char *name;

	if (tmp_path == NULL || strncmp(tmp_path, s->root, rlen) != 0 ||
	    strncmp(tmp_path + rlen, "/tmp/", 5) != 0)
		return NULL;
	name = tmp_path + rlen + 5;
	return spool_valid_id(name) ? name : NULL;
}

int
spool_tmp_open(struct spool *s, char *tmp_path, size_t pathlen)
{
	uint8_t rnd[8];
	char hex[2 * sizeof(rnd) + 1], name[64];
	int attempt, fd, n;

	for (attempt = 0; attempt < 8; attempt++) {
		if (crypto_random(rnd, sizeof(rnd)) != CRYPTO_OK)
			return -EIO;
		crypto_hex(rnd, sizeof(rnd), hex);
		snprintf(name, sizeof(name), "t%ld-%s", (long)getpid(), hex);
		n = snprintf(tmp_path, pathlen, "%s/tmp/%s", s->root, name);
		if (n < 0 || (size_t)n >= pathlen)
			return -ENAMETOOLONG;
		fd = openat(s->tmpfd, name,
		    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, SPOOL_FILE_MODE);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST)
			return neg_errno();
	}
	return -EEXIST;
}

void
spool_tmp_discard(struct spool *s, int fd, const char *tmp_path)
{
	const char *name = tmp_name(s, tmp_path);
	int saved = errno;

	if (fd >= 0)
		close(fd);
	if (name != NULL)
		unlinkat(s->tmpfd, name, 0);
	errno = saved;
}

/*
 * Publishing consumes both fd and the tmp file whatever the outcome: on success
 * the file is new/id, otherwise (SPOOL_EXISTS, a bad id, an I/O error) the tmp
 * file is removed. A producer retries with a fresh spool_tmp_open.
 */
/* spool_adopt across mounts (under systemd the upload directory and the spool are two
 * bind mounts): the bytes are copied into tmp/ and published as any streamed item,
 * then the original is removed. A crash in between leaves the original to its
 * producer's cleanup, as a crash after a rename would. */
static int
adopt_by_copy(struct spool *s, const char *path, const char *id)
{
	char tmp[PATH_MAX];
	int in, out, rc;

	if ((in = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return neg_errno();
	if ((out = spool_tmp_open(s, tmp, sizeof tmp)) < 0) {
		close(in);
		return out;
	}
	if (fsio_copy_fd(out, in) != 0) {
		rc = neg_errno();
		close(in);
		spool_tmp_discard(s, out, tmp);
		return rc;
	}
	close(in);
	if ((rc = spool_publish(s, out, tmp, id)) != SPOOL_OK)	/* closes out */
		return rc;
	if (unlink(path) != 0 || fsio_fsync_parent(path) != 0)
		return neg_errno();
	return SPOOL_OK;
}

int
spool_adopt(struct spool *s, const char *path, const char *id)
{
	int fd, rc;

	if (!spool_valid_id(id))
		return SPOOL_EBADID;
	if ((rc = id_in_spool(s, id)) != 0)
		return rc > 0 ? SPOOL_EXISTS : rc;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return neg_errno();
	rc = fsync_fd(fd);
	close(fd);
	if (rc != 0)
		return rc;
	if (renameat2(AT_FDCWD, path, s->newfd, id, RENAME_NOREPLACE) != 0) {
		if (errno == EXDEV)
			return adopt_by_copy(s, path, id);
		return errno == EEXIST ? SPOOL_EXISTS : neg_errno();
	}
	/* The new name first (the item exists), then the old directory (it is gone
	 * from there): a crash in between leaves a stale link the producer's own
	 * cleanup removes, never a lost item. */
	if ((rc = fsync_fd(s->newfd)) != 0)
		return rc;
	return fsio_fsync_parent(path) == 0 ? SPOOL_OK : neg_errno();
}

int
spool_publish(struct spool *s, int fd, const char *tmp_path, const char *id)
{
	const char *name = tmp_name(s, tmp_path);
	int rc;

	if (name == NULL) {
		/* Not ours to unlink: only close what we were handed. */
		if (fd >= 0)
			close(fd);
		return -EINVAL;
	}
	if (!spool_valid_id(id)) {
		rc = SPOOL_EBADID;
		goto discard;
	}
	if ((rc = id_in_spool(s, id)) != 0) {
		if (rc > 0)
			rc = SPOOL_EXISTS;
		goto discard;
	}
	/* Every item is SPOOL_FILE_MODE, whoever made the file: the consumer is another
	 * user of the group (bridge-rx's reassembled bundle, 0600 while it was being
	 * written, is read by portald). */
	if (fchmod(fd, SPOOL_FILE_MODE) != 0) {
		rc = neg_errno();
		goto discard;
	}
	/* The data must be on disk before the name is visible in new/. */
	if ((rc = fsync_fd(fd)) != 0)
		goto discard;
	rc = close(fd);
	fd = -1;
	if (rc != 0) {
		rc = neg_errno();
		goto discard;
	}
	if ((rc = move(s->tmpfd, s->newfd, name, id)) != 0) {
		if (rc == -EEXIST)
			rc = SPOOL_EXISTS;	/* lost a race with the same id */
		goto discard;
	}
	return SPOOL_OK;
discard:
	spool_tmp_discard(s, fd, tmp_path);
	return rc;
}

int
spool_put(struct spool *s, const char *id, const void *data, size_t len)
{
	char path[PATH_MAX];
	int fd, rc;

	if (!spool_valid_id(id))
		return SPOOL_EBADID;
	/* Cheap early answer for the common retry; publish checks again. */
	if ((rc = id_in_spool(s, id)) != 0)
		return rc > 0 ? SPOOL_EXISTS : rc;
	if ((fd = spool_tmp_open(s, path, sizeof(path))) < 0)
		return fd;
	if ((rc = fsio_write_all(fd, data, len) == 0 ? 0 : neg_errno()) != 0) {
		spool_tmp_discard(s, fd, path);
		return rc;
	}
	return spool_publish(s, fd, path, id);
}

/* A fresh directory stream over dirfd's directory, positioned at its start (a
 * dup'd descriptor would share, and keep, the previous scan's offset). */
static DIR *
open_scan(int dirfd)
{
	DIR *d;
	int fd;

	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return NULL;
	if ((d = fdopendir(fd)) == NULL) {
		int saved = errno;

		close(fd);
		errno = saved;
	}
	return d;
}

/* Is this directory entry a candidate item: a valid id naming a regular file?
 * Fills *st when it is. 1 yes, 0 no (skip it), negative errno on error. */
static int
item_entry(int dirfd, const struct dirent *de, struct stat *st)
{
	if (!spool_valid_id(de->d_name))
		return 0;
	if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
		return 0;
	if (fstatat(dirfd, de->d_name, st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? 0 : neg_errno();	/* gone meanwhile */
	return S_ISREG(st->st_mode) ? 1 : 0;
}

static int
older(const struct stat *a, const char *aid, const struct stat *b, const char *bid)
{
	if (a->st_mtim.tv_sec != b->st_mtim.tv_sec)
		return a->st_mtim.tv_sec < b->st_mtim.tv_sec;
	if (a->st_mtim.tv_nsec != b->st_mtim.tv_nsec)
		return a->st_mtim.tv_nsec < b->st_mtim.tv_nsec;
	return strcmp(aid, bid) < 0;
}

/* Find the oldest item in new/ among the first SPOOL_CLAIM_SCAN_MAX entries.
 * 1 and best filled, 0 if none, negative errno. */
static int
find_oldest(struct spool *s, char best[SPOOL_ID_MAX + 1])
{
	struct stat st, best_st = { 0 };
	struct dirent *de;
	DIR *d;
	size_t seen = 0;
	int found = 0, r;

	if ((d = open_scan(s->newfd)) == NULL)
		return neg_errno();
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0) {
				r = neg_errno();
				closedir(d);
				return r;
			}
			break;
		}
		if (++seen > SPOOL_CLAIM_SCAN_MAX)
			break;
		if ((r = item_entry(s->newfd, de, &st)) < 0) {
			closedir(d);
			return r;
		}
		if (r == 0)
			continue;
		if (!found || older(&st, de->d_name, &best_st, best)) {
			/* valid ids are at most SPOOL_ID_MAX bytes */
			memcpy(best, de->d_name, strlen(de->d_name) + 1);
			best_st = st;
			found = 1;
		}
	}
	closedir(d);
	return found;
}

static int
work_path(const struct spool *s, const char *id, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s/work/%s", s->root, id);

	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}

int
spool_claim(struct spool *s, struct spool_item *item)
{
	char id[SPOOL_ID_MAX + 1];
	int attempt, r;

	for (attempt = 0; attempt < SPOOL_CLAIM_RETRIES; attempt++) {
		if ((r = find_oldest(s, id)) < 0)
			return r;
		if (r == 0)
			return SPOOL_EMPTY;
		r = move(s->newfd, s->workfd, id, id);
		if (r == -ENOENT)
			continue;	/* another consumer took it first */
		if (r != 0)
			return r;
		memcpy(item->id, id, strlen(id) + 1);
		return work_path(s, id, item->path, sizeof(item->path));
	}
	return -EAGAIN;
}

/* ---- attempts (tries/) ----------------------------------------------------------
 *
 * tries/ID holds the number of times a consumer began work on item ID, in decimal.
 * It is written like an item (a temporary file, fsync, rename, fsync of tries/), so a
 * count survives the crash it is there to count. It is a side note, not the item:
 * forgetting it (a commit's unlink, never fsync'd) can only make a later count start
 * again from 0, and a count left behind by an item gone some other way is pruned with
 * done/. tries/ is made by the first spool_attempt, so spools whose consumers never
 * count have none.
 */
static int
tries_dir(struct spool *s, bool create)
{
	if (s->triesfd >= 0)
		return 0;
	if (create && mkdirat(s->dirfd, "tries", SPOOL_DIR_MODE) == 0) {
		int rc = fsync_fd(s->dirfd);

		if (rc != 0)
			return rc;
	} else if (create && errno != EEXIST) {
		return neg_errno();
	}
	s->triesfd = openat(s->dirfd, "tries", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	return s->triesfd >= 0 ? 0 : neg_errno();
}

/* The count in tries/id; 0 when there is none or it is not a count. */
static unsigned
read_tries(struct spool *s, const char *id)
{
	char buf[16];
	unsigned long v;
	ssize_t n;
	char *end;
	int fd = openat(s->triesfd, id, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	errno = 0;
	v = strtoul(buf, &end, 10);
	if (errno != 0 || end == buf || (*end != '\n' && *end != '\0') || v > SPOOL_TRIES_MAX)
		return 0;
	return (unsigned)v;
}

int
spool_attempt(struct spool *s, const struct spool_item *item)
{
	char tmp[SPOOL_ID_MAX + 8], buf[16];
	unsigned n;
	int fd, len, rc;

	if (item == NULL || !spool_valid_id(item->id))
		return SPOOL_EBADID;
	if ((rc = tries_dir(s, true)) != 0)
		return rc;
	n = read_tries(s, item->id);
	if (n < SPOOL_TRIES_MAX)
		n++;
	/* ".ID" is never an item id, so it cannot meet a count. */
	snprintf(tmp, sizeof(tmp), ".%s", item->id);
	len = snprintf(buf, sizeof(buf), "%u\n", n);
	if ((fd = openat(s->triesfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
			 SPOOL_FILE_MODE)) < 0)
		return neg_errno();
	rc = fsio_write_all(fd, buf, (size_t)len) == 0 ? fsync_fd(fd) : neg_errno();
	close(fd);
	if (rc == 0 && renameat(s->triesfd, tmp, s->triesfd, item->id) != 0)
		rc = neg_errno();
	if (rc == 0)
		rc = fsync_fd(s->triesfd);
	if (rc != 0) {
		(void)unlinkat(s->triesfd, tmp, 0);
		return rc;
	}
	return (int)n;
}

static void
forget_tries(struct spool *s, const char *id)
{
	if (tries_dir(s, false) == 0)
		(void)unlinkat(s->triesfd, id, 0);
}

/* Counts untouched for max_age whose item waits neither in new/ nor in work/. */
static void
prune_tries(struct spool *s, time_t max_age, time_t now)
{
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (tries_dir(s, false) != 0 || (d = open_scan(s->triesfd)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (!spool_valid_id(de->d_name) ||
		    fstatat(s->triesfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    now - st.st_mtime < max_age ||
		    present(s->newfd, de->d_name) != 0 || present(s->workfd, de->d_name) != 0)
			continue;
		(void)unlinkat(s->triesfd, de->d_name, 0);
	}
	closedir(d);
}

int
spool_commit(struct spool *s, const struct spool_item *item)
{
	int rc;

	if (item == NULL || !spool_valid_id(item->id))
		return SPOOL_EBADID;
	if ((rc = move(s->workfd, s->donefd, item->id, item->id)) != 0)
		return rc;
	forget_tries(s, item->id);
	/* done/ is pruned by age since completion, not since the item was written:
	 * an item that waited long in new/ is still kept for the full period. A
	 * lost timestamp update only means an earlier prune, so no fsync here. */
	(void)utimensat(s->donefd, item->id, NULL, AT_SYMLINK_NOFOLLOW);
	return 0;
}

int
spool_finish_id(struct spool *s, const char *id)
{
	int rc;

	if (!spool_valid_id(id))
		return SPOOL_EBADID;
	/* Claimed or not, the item is finished: from work/ first (the usual case of a
	 * bundle waiting for its receipt), else from new/ (after a restart returned it). */
	rc = move(s->workfd, s->donefd, id, id);
	if (rc == -ENOENT)
		rc = move(s->newfd, s->donefd, id, id);
	if (rc == -ENOENT)
		return SPOOL_EMPTY;
	if (rc == 0) {
		(void)utimensat(s->donefd, id, NULL, AT_SYMLINK_NOFOLLOW);
		forget_tries(s, id);
	}
	return rc;
}

int
spool_return(struct spool *s, const struct spool_item *item)
{
	if (item == NULL || !spool_valid_id(item->id))
		return SPOOL_EBADID;
	return move(s->workfd, s->newfd, item->id, item->id);
}

/*
 * The time to compare a file's mtime with. Not time(2): that is the kernel's coarse
 * clock, and a file written a moment ago can carry a later second than it (kernels
 * with multigrain timestamps give a fresh mtime from the fine clock), so an item
 * finished "now" looked finished in the future, and a max_age of 0 kept it.
 */
static time_t
wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}

int
spool_recover(struct spool *s)
{
	struct dirent *de;
	struct stat st;
	time_t now = wall_now();
	DIR *d;
	int n = 0, r, rc = 0, removed = 0;

	/* Everything in work/ was claimed by a consumer that is no longer running
	 * (we are its replacement): hand it out again. */
	if ((d = open_scan(s->workfd)) == NULL)
		return neg_errno();
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0 && rc == 0)
				rc = neg_errno();
			break;
		}
		if ((r = item_entry(s->workfd, de, &st)) <= 0) {
			if (r < 0 && rc == 0)
				rc = r;
			continue;
		}
		/* Keep going past one failure: every other item still deserves to be
		 * returned; report the first failure at the end. */
		if ((r = move(s->workfd, s->newfd, de->d_name, de->d_name)) == 0) {
			if (n < INT_MAX)
				n++;
		} else if (r != -ENOENT && rc == 0)
			rc = r;
	}
	closedir(d);

	/* Stale tmp/ files are writes that never got published; younger ones may
	 * be a live producer's. Anything in tmp/ is ours to remove, valid name or
	 * not, but only regular files. */
	if ((d = open_scan(s->tmpfd)) == NULL)
		return rc ? rc : neg_errno();
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(s->tmpfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !(S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)))
			continue;
		if (now - st.st_mtime < SPOOL_TMP_STALE_SECS)
			continue;
		if (unlinkat(s->tmpfd, de->d_name, 0) == 0)
			removed = 1;
	}
	closedir(d);
	if (removed && (r = fsync_fd(s->tmpfd)) != 0 && rc == 0)
		rc = r;
	return rc ? rc : n;
}

int
spool_prune_done(struct spool *s, time_t max_age)
{
	struct dirent *de;
	struct stat st;
	time_t now = wall_now();
	DIR *d;
	int n = 0, r, rc = 0;

	if (max_age < 0)
		return -EINVAL;
	if ((d = open_scan(s->donefd)) == NULL)
		return neg_errno();
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0 && rc == 0)
				rc = neg_errno();
			break;
		}
		if ((r = item_entry(s->donefd, de, &st)) <= 0) {
			if (r < 0 && rc == 0)
				rc = r;
			continue;
		}
		if (now - st.st_mtime < max_age)
			continue;
		if (unlinkat(s->donefd, de->d_name, 0) == 0) {
			if (n < INT_MAX)
				n++;
		} else if (errno != ENOENT && rc == 0)
			rc = neg_errno();
	}
	closedir(d);
	prune_tries(s, max_age, now);
	/* Pruning is not a promise of durability, but a removal that reappears
	 * after a crash would only be pruned again; fsync keeps it tidy. */
	if (n > 0 && (r = fsync_fd(s->donefd)) != 0 && rc == 0)
		rc = r;
	return rc ? rc : n;
}

int
spool_count_new(struct spool *s)
{
	struct dirent *de;
	DIR *d;
	int n = 0, rc = 0;

	if ((d = open_scan(s->newfd)) == NULL)
		return neg_errno();
	/* Names only, no stat: a metric should cost one pass of getdents. */
	while (n < SPOOL_COUNT_MAX) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0)
				rc = neg_errno();
			break;
		}
		if (spool_valid_id(de->d_name) &&
		    (de->d_type == DT_REG || de->d_type == DT_UNKNOWN))
			n++;
	}
	closedir(d);
	return rc ? rc : n;
}

int
spool_check_writable(struct spool *s)
{
	char path[PATH_MAX];
	int fd, rc;

	if ((fd = spool_tmp_open(s, path, sizeof(path))) < 0)
		return fd;
	if ((rc = fsio_write_all(fd, "x", 1) == 0 ? 0 : neg_errno()) == 0)
		rc = fsync_fd(fd);
	spool_tmp_discard(s, fd, path);
	return rc;
}

int
spool_watch(struct spool *s)
{
	char path[PATH_MAX + 8];
	int fd, err;

	if ((size_t)snprintf(path, sizeof path, "%s/new", s->root) >= sizeof path)
		return -ENAMETOOLONG;
	if ((fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0)
		return -errno;
	/* Items come by rename (publish, return), or by link where rename cannot. */
	if (inotify_add_watch(fd, path, IN_MOVED_TO | IN_CREATE | IN_ONLYDIR) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static int
sleep_out(int timeout_ms, int rc)
{
	struct timespec ts = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
	return rc;
}

int
spool_wait(int watch, int timeout_ms)
{
	struct pollfd pf = { .fd = watch, .events = POLLIN };
	/* Aligned as the kernel's struct inotify_event, which it writes here. */
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int rc;

	if (watch < 0)
		return sleep_out(timeout_ms, 0);
	while ((rc = poll(&pf, 1, timeout_ms)) < 0 && errno == EINTR)
		;
	if (rc < 0)
		return sleep_out(timeout_ms, -errno);
	if (rc == 0)
		return 0;
	for (;;) {
		ssize_t n = read(watch, buf, sizeof buf);

		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			return sleep_out(timeout_ms, -errno);
		return 1;
	}
}
