/*
 * ocr_vertical.c — the direction of a page's lines, from the gaps between its
 * characters.
 *
 * The character-sized parts of the page (Leptonica's connected components, from a
 * sixth of an inch to a third: not specks, not rules or frames) each get the gap to
 * the nearest part to their right that shares half their height, and to the nearest
 * part below that shares half their width. Set across, the typical gap to the right
 * is the small one, between characters (a few pixels at 150 dpi), and the gap below
 * is the line spacing; set down, the other way round. The page is vertical only when
 * the gaps say so clearly: the median gap across more than twice the median gap
 * down, the first at least dpi/30 (a visible space between columns) and the second
 * at most half a character (a calendar's days are as far apart down as across
 * their own size). Anything less sure stays horizontal, as every page was read
 * before. Measured on our pages (median gaps across/down, 150 dpi): a vertical notice
 * 17/4; the benchmark's Japanese page 6/20, its English page 3/16, forms 4/29.
 *
 * The parts are sorted along each direction, so that a part's nearest neighbour is
 * the first candidate that overlaps it; at most NEAR_STEPS candidates are looked at
 * per part, which bounds the work on a page of noise.
 */
#include "ocr_vertical.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>

#define PART_MIN_DIV	25	/* a character is at least dpi / this each way, */
#define PART_MAX_DIV	3	/* and at most dpi / this */
#define NEAR_DIV	2	/* a neighbour is under dpi / this away */
#define NEAR_STEPS	64	/* candidates looked at per part and direction */
#define COLUMN_GAP_DIV	30	/* columns are at least dpi / this apart */
#define MIN_GAPS	16	/* fewer neighbours either way: too little to tell */
#define ACROSS_MIN_GAPS	2	/* a band across: at least 3 characters side by side */
#define ISLAND_MIN_PARTS	2	/* a column standing alone: 2 characters or more, */
#define ISLAND_TALL_NUM	9	/* at least 9/5 as tall as it is wide, */
#define ISLAND_TALL_DEN	5
#define ISLAND_MAX_COLUMNS	256	/* of the first this many columns of 2 or more */
#define ISLAND_JOIN_NUM	3	/* a column's characters under 3/4 of one apart */
#define ISLAND_JOIN_DEN	4
#define ISLAND_GROW_ROUNDS	4	/* a column takes in what overlaps it, so often */
#define SPREAD_MIN_CHARS	3	/* a label spread over its cell: 3 characters or more
					 * (or 2 filling a ruled cell), */
#define SPREAD_REACH	5	/* each under 5 characters below the last, */
#define SPREAD_WIDE_NUM	3	/* the column at most 3/2 of its characters wide */
#define SPREAD_WIDE_DEN	2

struct part {
	int32_t lo[2], hi[2];	/* [0] x, [1] y: from lo to hi, exclusive */
};

static int
by_x(const void *a, const void *b)
{
	const struct part *p = a, *q = b;

	return (p->lo[0] > q->lo[0]) - (p->lo[0] < q->lo[0]);
}

static int
by_y(const void *a, const void *b)
{
	const struct part *p = a, *q = b;

	return (p->lo[1] > q->lo[1]) - (p->lo[1] < q->lo[1]);
}

static int
by_value(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

/* Whether p and q share at least half the smaller's extent along axis. */
static int
share_half(const struct part *p, const struct part *q, int axis)
{
	int32_t lo = p->lo[axis] > q->lo[axis] ? p->lo[axis] : q->lo[axis];
	int32_t hi = p->hi[axis] < q->hi[axis] ? p->hi[axis] : q->hi[axis];
	int32_t ep = p->hi[axis] - p->lo[axis], eq = q->hi[axis] - q->lo[axis];

	return 2 * (hi - lo) >= (ep < eq ? ep : eq);
}

/* The first of the n parts (sorted by lo[axis]) that begins at or after v along
 * axis; n if none. */
static uint32_t
first_at(const struct part *parts, uint32_t n, int axis, int32_t v)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (parts[mid].lo[axis] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Into gaps, each part's gap to its nearest neighbour after it along axis (0: to the
 * right, 1: below), for those that have one under limit away; how many. parts are
 * sorted by lo[axis], so the first candidate that shares half across is the nearest.
 */
static uint32_t
nearest_gaps(const struct part *parts, uint32_t n, int axis, int32_t limit, int32_t *gaps)
{
	uint32_t i, found = 0;

	for (i = 0; i < n; i++) {
		int32_t end = parts[i].hi[axis];
		uint32_t j, steps;

		for (j = first_at(parts, n, axis, end), steps = 0;
		     j < n && steps < NEAR_STEPS && parts[j].lo[axis] - end < limit; j++, steps++)
			if (share_half(&parts[i], &parts[j], !axis)) {
				gaps[found++] = parts[j].lo[axis] - end;
				break;
			}
	}
	return found;
}

static int32_t
median(int32_t *v, uint32_t n)
{
	qsort(v, n, sizeof(*v), by_value);
	return v[n / 2];
}

/* Into parts, binary's character-sized parts at dpi, at most OCR_VERTICAL_MAX_PARTS;
 * how many. */
static uint32_t
page_parts(struct Pix *binary, unsigned dpi, struct part *parts)
{
	int32_t min = (int32_t)(dpi / PART_MIN_DIV), max = (int32_t)(dpi / PART_MAX_DIV);
	BOXA *boxes = pixConnCompBB(binary, 8);
	uint32_t n = 0;
	int count;

	if (boxes == NULL)
		return 0;
	count = boxaGetCount(boxes);
	for (int i = 0; i < count && n < OCR_VERTICAL_MAX_PARTS; i++) {
		l_int32 x, y, w, h;

		if (boxaGetBoxGeometry(boxes, i, &x, &y, &w, &h) != 0 ||
		    w < min || h < min || w > max || h > max)
			continue;
		parts[n++] = (struct part){ { x, y }, { x + w, y + h } };
	}
	boxaDestroy(&boxes);
	return n;
}

/* The median extent of n parts along axis, sorted into scratch. */
static int32_t
median_extent(const struct part *parts, uint32_t n, int axis, int32_t *scratch)
{
	for (uint32_t i = 0; i < n; i++)
		scratch[i] = parts[i].hi[axis] - parts[i].lo[axis];
	return median(scratch, n);
}

int
ocr_vertical_page(struct Pix *binary, unsigned dpi)
{
	int32_t across, down, size, *gaps = NULL;
	struct part *parts = NULL;
	uint32_t n, nacross, ndown;
	int vertical = 0;

	if (binary == NULL || pixGetDepth(binary) != 1 || dpi == 0)
		return 0;
	parts = malloc(OCR_VERTICAL_MAX_PARTS * sizeof(*parts));
	gaps = malloc(OCR_VERTICAL_MAX_PARTS * sizeof(*gaps));
	if (parts == NULL || gaps == NULL || (n = page_parts(binary, dpi, parts)) < MIN_GAPS)
		goto out;
	qsort(parts, n, sizeof(*parts), by_x);
	if ((nacross = nearest_gaps(parts, n, 0, (int32_t)(dpi / NEAR_DIV), gaps)) < MIN_GAPS)
		goto out;
	across = median(gaps, nacross);
	qsort(parts, n, sizeof(*parts), by_y);
	if ((ndown = nearest_gaps(parts, n, 1, (int32_t)(dpi / NEAR_DIV), gaps)) < MIN_GAPS)
		goto out;
	down = median(gaps, ndown);
	size = median_extent(parts, n, 0, gaps);
	vertical = across > 2 * down && across >= (int32_t)(dpi / COLUMN_GAP_DIV) &&
	    2 * down <= size;
out:
	free(parts);
	free(gaps);
	return vertical;
}

/*
 * Whether the n parts of one band of a page (scratch and gaps: room for n) lie in
 * lines across: at least ACROSS_MIN_GAPS of them have a neighbour to their right,
 * and either few have one below (a line's own characters stack a part over another
 * now and then: 思, 意), or the gap below is the larger one, as between lines.
 * Columns have neighbours both ways, the gap below the small one.
 */
static int
band_across(const struct part *parts, uint32_t n, unsigned dpi, struct part *scratch,
	    int32_t *gaps)
{
	uint32_t nright, ndown;
	int32_t right;

	memcpy(scratch, parts, n * sizeof(*parts));
	qsort(scratch, n, sizeof(*scratch), by_x);
	if ((nright = nearest_gaps(scratch, n, 0, (int32_t)(dpi / NEAR_DIV), gaps)) <
	    ACROSS_MIN_GAPS)
		return 0;
	right = median(gaps, nright);
	qsort(scratch, n, sizeof(*scratch), by_y);
	if ((ndown = nearest_gaps(scratch, n, 1, (int32_t)(dpi / NEAR_DIV), gaps)) <
	    (nright + 1) / 2)
		return 1;
	return 2 * right < median(gaps, ndown);
}

/* A band of a page: rows y0 to y1 where its parts are, and whether it is across. */
struct band {
	int32_t y0, y1;
	int across;
};

/*
 * The parts, in order of their tops, are chained into bands wherever the next begins
 * less than half a character (the page's median part height) below the band's
 * bottom: a vertical page's columns run together into one band, a line across over
 * them is a band of its own. Each band is then told by its own parts (band_across).
 */
unsigned
ocr_vertical_across(struct Pix *binary, unsigned dpi, struct ocr_rows *rows)
{
	struct part *parts = NULL, *scratch = NULL;
	struct band *bands = NULL;
	int32_t *gaps = NULL, join, height;
	uint32_t n, nbands = 0, i, j;
	unsigned nacross = 0, k;

	if (binary == NULL || pixGetDepth(binary) != 1 || dpi == 0)
		return 0;
	height = (int32_t)pixGetHeight(binary);
	parts = malloc(OCR_VERTICAL_MAX_PARTS * sizeof(*parts));
	scratch = malloc(OCR_VERTICAL_MAX_PARTS * sizeof(*scratch));
	bands = malloc(OCR_VERTICAL_MAX_PARTS * sizeof(*bands));
	gaps = malloc(OCR_VERTICAL_MAX_PARTS * sizeof(*gaps));
	if (parts == NULL || scratch == NULL || bands == NULL || gaps == NULL ||
	    (n = page_parts(binary, dpi, parts)) < MIN_GAPS)
		goto out;
	join = median_extent(parts, n, 1, gaps) / 2;
	qsort(parts, n, sizeof(*parts), by_y);
	for (i = 0; i < n; i = j) {
		struct band *b = &bands[nbands++];

		*b = (struct band){ parts[i].lo[1], parts[i].hi[1], 0 };
		for (j = i + 1; j < n && parts[j].lo[1] < b->y1 + join; j++)
			if (parts[j].hi[1] > b->y1)
				b->y1 = parts[j].hi[1];
		b->across = band_across(parts + i, j - i, dpi, scratch, gaps);
		nacross += (unsigned)b->across;
	}
	if (nacross > OCR_VERTICAL_MAX_ACROSS || nacross == nbands) {
		nacross = 0;
		goto out;
	}
	for (i = 0, k = 0; i < nbands; i++)
		if (bands[i].across)
			rows[k++] = (struct ocr_rows){
				(uint32_t)(i == 0 ? 0 : (bands[i - 1].y1 + bands[i].y0) / 2),
				(uint32_t)(i + 1 == nbands ? height :
					   (bands[i].y1 + bands[i + 1].y0) / 2) };
out:
	free(parts);
	free(scratch);
	free(bands);
	free(gaps);
	return nacross;
}

/* Grow box over p. */
static void
span_over(struct part *box, const struct part *p)
{
	for (int a = 0; a < 2; a++) {
		if (p->lo[a] < box->lo[a])
			box->lo[a] = p->lo[a];
		if (p->hi[a] > box->hi[a])
			box->hi[a] = p->hi[a];
	}
}

/* ch, a character under box, as wide as the column at least: what stands beside the
 * part followed, within the column (云 beside 車), is the character's too. */
static struct part
as_wide_as(const struct part *box, struct part ch)
{
	ch.lo[0] = ch.lo[0] < box->lo[0] ? ch.lo[0] : box->lo[0];
	ch.hi[0] = ch.hi[0] > box->hi[0] ? ch.hi[0] : box->hi[0];
	return ch;
}

/* The nearest of the n parts (sorted by top) under box, no column's yet
 * (column_of[j] == -1), sharing half the width, less than join below it; -1 for
 * none. At most NEAR_STEPS are looked at. */
static int32_t
part_under(const struct part *parts, uint32_t n, const int32_t *column_of,
	   const struct part *box, int32_t join)
{
	uint32_t j = first_at(parts, n, 1, box->hi[1]);

	for (uint32_t steps = 0; j < n && steps < NEAR_STEPS &&
	     parts[j].lo[1] - box->hi[1] < join; j++, steps++)
		if (column_of[j] == -1 && share_half(box, &parts[j], 0))
			return (int32_t)j;
	return -1;
}

/* Whether any of the n parts (sorted by top, none taller than tallest) but the
 * column's (column_of[i] == mark) overlaps box widened by margin to the left and
 * right. */
static int
crowded(const struct part *parts, uint32_t n, const int32_t *column_of, int32_t mark,
	int32_t tallest, const struct part *box, int32_t margin)
{
	for (uint32_t i = first_at(parts, n, 1, box->lo[1] - tallest);
	     i < n && parts[i].lo[1] < box->hi[1]; i++)
		if (column_of[i] != mark &&
		    parts[i].lo[0] < box->hi[0] + margin && parts[i].hi[0] > box->lo[0] - margin &&
		    parts[i].lo[1] < box->hi[1] && parts[i].hi[1] > box->lo[1])
			return 1;
	return 0;
}

/*
 * Grow box, a character's or a column's, by every part that overlaps it, marking each
 * as the column's (mark into column_of, unless it is NULL), until none is left out or
 * ISLAND_GROW_ROUNDS have passed. A character may be more than one part: 由 inside
 * 尸, 云 beside 車. Left out, they crowded their own column, and a part beside the one
 * followed began a second column down the same characters.
 */
static void
take_in_overlapping(const struct part *parts, uint32_t n, int32_t *column_of, int32_t mark,
		    int32_t tallest, struct part *box)
{
	for (int round = 0; round < ISLAND_GROW_ROUNDS; round++) {
		int grew = 0;

		/* Sorted by top: only those from a tallest part above box can reach it. */
		for (uint32_t i = first_at(parts, n, 1, box->lo[1] - tallest);
		     i < n && parts[i].lo[1] < box->hi[1]; i++) {
			const struct part *p = &parts[i];

			if ((column_of != NULL && column_of[i] == mark) ||
			    p->lo[0] >= box->hi[0] || p->hi[0] <= box->lo[0] ||
			    p->lo[1] >= box->hi[1] || p->hi[1] <= box->lo[1])
				continue;
			if (column_of != NULL)
				column_of[i] = mark;
			grew |= p->lo[0] < box->lo[0] || p->lo[1] < box->lo[1] ||
			    p->hi[0] > box->hi[0] || p->hi[1] > box->hi[1];
			span_over(box, p);
		}
		if (!grew)
			break;
	}
}

/* What the passes over a page's parts share. column_of holds, per part, the column
 * that took it, -1 for none yet, -2 for an island told. */
struct island_page {
	struct Pix *rules;		/* the page's ruled lines, or NULL */
	const struct part *parts;	/* sorted by top */
	uint32_t n;
	int32_t *column_of;
	int32_t size;		/* a character: the upper quartile of part heights */
	int32_t join;		/* set solid: characters less than this apart */
	int32_t tallest;	/* no part is taller */
};

/*
 * The column set solid from part i, no column's yet: the part grown into its
 * character (take_in_overlapping), then the nearest part under the column that
 * shares half its width, less than join below that character's bottom, grown in
 * turn, and so on; all marked as column mark. Its box, with every part overlapping
 * it taken in, into box; how many characters.
 */
static uint32_t
follow_set_solid(const struct island_page *pg, uint32_t i, int32_t mark, struct part *box)
{
	struct part ch = pg->parts[i];
	uint32_t k = 1;
	int32_t j;

	*box = ch;
	pg->column_of[i] = mark;
	take_in_overlapping(pg->parts, pg->n, pg->column_of, mark, pg->tallest, &ch);
	for (;;) {	/* the column's characters, one under another */
		span_over(box, &ch);
		if ((j = part_under(pg->parts, pg->n, pg->column_of, box, pg->join)) < 0)
			break;
		ch = as_wide_as(box, pg->parts[j]);
		pg->column_of[j] = mark;
		take_in_overlapping(pg->parts, pg->n, pg->column_of, mark, pg->tallest, &ch);
		k++;
	}
	take_in_overlapping(pg->parts, pg->n, pg->column_of, mark, pg->tallest, box);
	return k;
}

/* The character begun by ch (marking none): grown, with the parts stacked under it
 * less than join below (帯's 巾, 思's 心), while it stays at most h_max tall. */
static struct part
stacked_char(const struct island_page *pg, int32_t h_max, struct part ch)
{
	int32_t j;

	take_in_overlapping(pg->parts, pg->n, NULL, 0, pg->tallest, &ch);
	while ((j = part_under(pg->parts, pg->n, pg->column_of, &ch, pg->join)) >= 0) {
		struct part more = pg->parts[j];

		span_over(&more, &ch);
		take_in_overlapping(pg->parts, pg->n, NULL, 0, pg->tallest, &more);
		if (more.hi[1] - more.lo[1] > h_max)
			break;
		ch = more;
	}
	return ch;
}

/* Mark as column mark every part that ch, a character, overlaps. */
static void
mark_char(const struct island_page *pg, int32_t mark, struct part ch)
{
	take_in_overlapping(pg->parts, pg->n, pg->column_of, mark, pg->tallest, &ch);
}

/* Whether a ruled line of pg crosses box's width in rows y0 to y1: a row of the
 * rules' mask inked over 3/4 of it (a rule down the column is not across it). */
static int
ruled_between(const struct island_page *pg, const struct part *box, int32_t y0, int32_t y1)
{
	int32_t w = box->hi[0] - box->lo[0];

	if (pg->rules == NULL)
		return 0;
	for (int32_t y = y0; y < y1; y++) {
		int32_t inked = 0;

		for (int32_t x = box->lo[0]; x < box->hi[0]; x++) {
			l_uint32 v;

			if (pixGetPixel(pg->rules, x, y, &v) == 0 && v != 0)
				inked++;
		}
		if (4 * inked >= 3 * w)
			return 1;
	}
	return 0;
}

/* Whether ch is as large as a character may be in a spread label: at least 3/4 of
 * the page's character wide or tall (主 without its dot is short, but wide; a
 * list's bullets, 2/3 of a character each way on a template page, are not). */
static int
whole_char(const struct island_page *pg, const struct part *ch)
{
	return 4 * (ch->hi[1] - ch->lo[1]) >= 3 * pg->size ||
	       4 * (ch->hi[0] - ch->lo[0]) >= 3 * pg->size;
}

/*
 * The column spread over its cell (均等割付) from part i, no column's yet: its
 * characters whole (stacked_char), each the nearest under the column within
 * SPREAD_REACH characters, their centres one pitch apart (within a fifth of a
 * character), no ruled line between them (the next cell's label may keep the
 * pitch: a form's sections are often three pitches tall), each at least 3/4 of a
 * character wide or tall (whole_char); all marked as column mark. Its box into box;
 * how many characters, 0 when it is not such a column: one character, a pitch under
 * a character and join (closer, it is set solid: follow_set_solid's to tell), wider
 * than SPREAD_WIDE_NUM/DEN of its characters (a table's column of words, row under
 * row), or fewer than SPREAD_MIN_CHARS not filling a ruled cell.
 */
static uint32_t
follow_spread(const struct island_page *pg, uint32_t i, int32_t mark, struct part *box)
{
	struct part ch = stacked_char(pg, pg->size * 5 / 4, pg->parts[i]);
	int32_t h, tol, reach, pitch = -1, centre2, j;
	uint32_t k = 1;

	pg->column_of[i] = mark;
	if (!whole_char(pg, &ch))
		return 0;	/* a mark, not a character: the column begins under it */
	mark_char(pg, mark, ch);
	*box = ch;
	h = ch.hi[1] - ch.lo[1] > pg->size ? ch.hi[1] - ch.lo[1] : pg->size;
	tol = h / 5 > 2 ? h / 5 : 2;
	reach = SPREAD_REACH * h;
	centre2 = ch.lo[1] + ch.hi[1];
	while ((j = part_under(pg->parts, pg->n, pg->column_of, box, reach)) >= 0) {
		/* Whole or not on its own ink; then grown as wide as the column. */
		struct part ink = stacked_char(pg, h * 5 / 4, pg->parts[j]), next;
		int32_t d;

		if (!whole_char(pg, &ink))
			break;
		next = stacked_char(pg, h * 5 / 4, as_wide_as(box, pg->parts[j]));
		if (ruled_between(pg, box, box->hi[1], next.lo[1]))
			break;
		d = (next.lo[1] + next.hi[1] - centre2) / 2;
		if (pitch < 0)
			pitch = d;
		else if (d > pitch + tol || d < pitch - tol)
			break;	/* not the column's next: left for another */
		pg->column_of[j] = mark;
		mark_char(pg, mark, next);
		span_over(box, &next);
		centre2 = next.lo[1] + next.hi[1];
		k++;
	}
	take_in_overlapping(pg->parts, pg->n, pg->column_of, mark, pg->tallest, box);
	if (k < 2 || pitch < h + pg->join ||
	    SPREAD_WIDE_DEN * (box->hi[0] - box->lo[0]) > SPREAD_WIDE_NUM * h)
		return 0;
	/* Two characters have no pitch to keep: they are a label only as they fill a
	 * ruled cell, a rule across within a character above and below them. */
	if (k < SPREAD_MIN_CHARS &&
	    (!ruled_between(pg, box, box->lo[1] - h, box->lo[1]) ||
	     !ruled_between(pg, box, box->hi[1], box->hi[1] + h)))
		return 0;
	return k;
}

/* Whether the column mark's box is shaped as a column standing alone: at least half
 * a character wide, one and a half tall and 9/5 as tall as wide, with no other part
 * within a character of it to the left or right. */
static int
stands_alone(const struct island_page *pg, int32_t mark, const struct part *box)
{
	int32_t w = box->hi[0] - box->lo[0], h = box->hi[1] - box->lo[1];

	return 2 * w >= pg->size && 2 * h >= 3 * pg->size &&
	       ISLAND_TALL_DEN * h >= ISLAND_TALL_NUM * w &&
	       !crowded(pg->parts, pg->n, pg->column_of, mark, pg->tallest, box, pg->size);
}

static int
by_top(const void *a, const void *b)
{
	const struct ocr_box *p = a, *q = b;

	if (p->y0 != q->y0)
		return p->y0 < q->y0 ? -1 : 1;
	return (p->x0 > q->x0) - (p->x0 < q->x0);
}

/*
 * Columns are followed down from each part, in order of their tops, that is no
 * column's yet, in two passes: set solid (follow_set_solid), then, of the parts no
 * island took, spread over their cells (follow_spread). A character is the page's
 * upper quartile of part heights (its median is a kana's stroke or a kanji's half,
 * which kanji often are).
 *
 * Set solid, characters are less than 3/4 of one apart. Followed part by part and
 * half a character apart, as ocr_vertical_across joins bands, a label set larger
 * than the rows beside it broke up: 13 pt characters 16 pt apart beside rows of
 * 10.5 pt are 9 pixels apart at 150 dpi, a character there 19, and more from the
 * part followed (刃 of 認) to the next character, or where a character's top is a
 * stroke too thin to be a part (所): bench_sanitize's form had 0 of its 16 labels
 * told. On the 157 pages of LibreOffice's templates a whole character's distance
 * told columns on 2 pages more (large Latin letters over a picture).
 *
 * Spread over its cell (均等割付), a label's characters are a character or more
 * apart, farther than any join of characters set solid could reach without taking
 * in the rows of a page. What tells them is the pitch: their centres equally far
 * apart, each character whole (a character of stacked parts, 帯 or 主, would
 * otherwise break the pitch), at least three of them or two filling a ruled cell,
 * none across a ruled line, and the column no wider than its characters: a table's
 * words, row under row, are as regular, but a word wide. Measured on the templates:
 * no column more; on bench_sanitize's forms of spread labels (form-spread,
 * form-two), every label told.
 *
 * A column of at least ISLAND_MIN_PARTS characters that stands alone (stands_alone:
 * a scan's broken strokes, narrow, do not) is an island. Its box is widened by a
 * quarter character every way (within the page), for the marks too small to be parts
 * (dakuten, dots), still short of any part. Lines across make columns where their
 * lines are close, and then their neighbours crowd them; a character whose parts
 * stack (思) is as wide as tall.
 */
unsigned
ocr_vertical_islands(struct Pix *binary, struct Pix *rules, unsigned dpi,
		     struct ocr_box *boxes)
{
	struct island_page pg = { 0 };
	struct part *parts = NULL;
	int32_t *column_of = NULL, pad, width, height, mark = 0;
	int32_t told[OCR_VERTICAL_MAX_ISLANDS];
	uint32_t n, i, columns;
	unsigned nisland = 0;

	if (binary == NULL || pixGetDepth(binary) != 1 || dpi == 0)
		return 0;
	width = (int32_t)pixGetWidth(binary);
	height = (int32_t)pixGetHeight(binary);
	parts = malloc(OCR_VERTICAL_MAX_PARTS * sizeof(*parts));
	column_of = malloc(OCR_VERTICAL_MAX_PARTS * sizeof(*column_of));
	if (parts == NULL || column_of == NULL ||
	    (n = page_parts(binary, dpi, parts)) < ISLAND_MIN_PARTS)
		goto out;
	(void)median_extent(parts, n, 1, column_of);	/* sorts the heights into column_of */
	pg = (struct island_page){ NULL, parts, n, column_of, column_of[3 * n / 4], 0,
				   (int32_t)(dpi / PART_MAX_DIV) };
	if (rules != NULL && pixGetDepth(rules) == 1 && pixGetWidth(rules) == width &&
	    pixGetHeight(rules) == height)
		pg.rules = rules;
	pg.join = pg.size * ISLAND_JOIN_NUM / ISLAND_JOIN_DEN;
	pad = pg.size / 4;
	qsort(parts, n, sizeof(*parts), by_y);
	for (int pass = 0; pass < 2; pass++) {
		/* Each pass begins with every part free but the islands' told. */
		for (i = 0; i < n; i++) {
			int32_t c = column_of[i];

			column_of[i] = -1;
			for (unsigned t = 0; t < nisland && pass > 0; t++)
				if (c == told[t])
					column_of[i] = -2;
		}
		for (i = 0, columns = 0; i < n && columns < ISLAND_MAX_COLUMNS; i++, mark++) {
			struct part box;
			uint32_t k;

			if (column_of[i] != -1)
				continue;	/* a column's already */
			k = pass == 0 ? follow_set_solid(&pg, i, mark, &box) :
			    follow_spread(&pg, i, mark, &box);
			if (k < ISLAND_MIN_PARTS)
				continue;	/* a character alone */
			if (stands_alone(&pg, mark, &box)) {
				if (nisland == OCR_VERTICAL_MAX_ISLANDS) {
					nisland = 0;	/* more: not a page of a few labels */
					goto out;
				}
				told[nisland] = mark;
				boxes[nisland++] = (struct ocr_box){
					(uint32_t)(box.lo[0] > pad ? box.lo[0] - pad : 0),
					(uint32_t)(box.lo[1] > pad ? box.lo[1] - pad : 0),
					(uint32_t)(box.hi[0] + pad < width ? box.hi[0] + pad : width),
					(uint32_t)(box.hi[1] + pad < height ? box.hi[1] + pad : height)
				};
			}
			columns++;
		}
	}
	qsort(boxes, nisland, sizeof(*boxes), by_top);
out:
	free(parts);
	free(column_of);
	return nisland;
}
