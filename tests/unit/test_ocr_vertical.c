/*
 * test_ocr_vertical.c — whether a page is written vertically (ocr_vertical_page),
 * on pages of character-sized marks in black and white: columns of them close
 * down and apart across are vertical; rows, a grid as close down as across, a
 * calendar's days, too few marks, specks and anything but 1 bit per pixel are not;
 * rules and frames do not count. And which bands of a vertical page are written
 * across (ocr_vertical_across): a heading over its columns, lines under them; and
 * which short columns of a page across stand alone (ocr_vertical_islands).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include <leptonica/allheaders.h>

#include "ocr_vertical.h"

#define W	1240	/* A4 at 150 dpi */
#define H	1754
#define DPI	150

static void
fill(PIX *b, int x0, int y0, int x1, int y1)
{
	pixRasterop(b, x0, y0, x1 - x0, y1 - y0, PIX_SET, NULL, 0, 0);
}

/* A character-like mark of size w x h at (x, y): 口, an outline 2 thick. */
static void
mark(PIX *b, int x, int y, int w, int h)
{
	fill(b, x, y, x + w, y + 2);
	fill(b, x, y + h - 2, x + w, y + h);
	fill(b, x, y, x + 2, y + h);
	fill(b, x + w - 2, y, x + w, y + h);
}

/*
 * A page of lines of marks of size 20: lines lines of per_line marks each, the
 * marks gap apart along a line and the lines spacing apart; down: each line a
 * column, from the right (else rows from the top).
 */
static PIX *
page(int down, int lines, int per_line, int gap, int spacing)
{
	PIX *b = pixCreate(W, H, 1);

	assert_non_null(b);
	for (int l = 0; l < lines; l++)
		for (int k = 0; k < per_line; k++) {
			int along = 100 + k * (20 + gap), across = 100 + l * (20 + spacing);

			if (down)
				mark(b, W - 100 - 20 - (across - 100), along, 20, 20);
			else
				mark(b, along, across, 20, 20);
		}
	return b;
}

static int
vertical(PIX *b)
{
	int v = ocr_vertical_page(b, DPI);

	pixDestroy(&b);
	return v;
}

static void
test_columns_are_vertical_rows_are_not(void **state)
{
	(void)state;
	assert_true(vertical(page(1, 12, 30, 3, 18)));
	assert_false(vertical(page(0, 12, 30, 3, 18)));
	/* Columns as close as their characters: a grid; not told vertical. */
	assert_false(vertical(page(1, 12, 30, 4, 4)));
	assert_false(vertical(page(0, 40, 40, 2, 2)));
}

/* The gap across must be more than twice the gap down, and at least dpi/30. */
static void
test_the_columns_must_be_clearly_apart(void **state)
{
	(void)state;
	assert_false(vertical(page(1, 12, 30, 4, 8)));
	assert_true(vertical(page(1, 12, 30, 4, 9)));
	assert_false(vertical(page(1, 12, 30, 1, 4)));	/* under dpi/30 apart */
	assert_true(vertical(page(1, 12, 30, 1, 5)));
	/* The gap down at most half a character: farther, marks are not a line. */
	assert_true(vertical(page(1, 6, 12, 10, 30)));
	assert_false(vertical(page(1, 6, 12, 11, 30)));
}

/* A month's calendar: the days (two digits, 8 x 12 each) in 7 columns far apart,
 * the weeks closer, but not as close as a line's characters. */
static void
test_a_calendar_is_not_vertical(void **state)
{
	PIX *b = pixCreate(W, H, 1);

	(void)state;
	assert_non_null(b);
	for (int week = 0; week < 5; week++)
		for (int day = 0; day < 7; day++) {
			int x = 100 + day * 120, y = 300 + week * 40;

			mark(b, x, y, 8, 12);
			mark(b, x + 10, y, 8, 12);
		}
	assert_false(vertical(b));
}

static void
test_too_little_text_tells_nothing(void **state)
{
	(void)state;
	assert_false(vertical(page(1, 1, 30, 3, 18)));	/* one column: no gap across */
	assert_false(vertical(page(1, 2, 12, 3, 18)));	/* 12 gaps across */
	assert_true(vertical(page(1, 3, 12, 3, 18)));	/* 24 */
	assert_false(vertical(pixCreate(W, H, 1)));	/* blank */
	assert_int_equal(ocr_vertical_page(NULL, DPI), 0);
}

/* Rules and frames (over dpi/3) and specks (under dpi/25) are not characters: a
 * vertical page stays vertical ruled between its columns and framed (縦罫), rows
 * stay rows ruled between them, and specks alone say nothing. */
static void
test_rules_and_specks_do_not_count(void **state)
{
	PIX *b = page(1, 12, 30, 3, 18), *g;

	(void)state;
	for (int l = 0; l <= 12; l++) {		/* in the middle of each gap */
		int x = W - 100 - 20 - l * 38 + 20 + 8;

		fill(b, x, 80, x + 2, 1000);
	}
	fill(b, 80, 80, W - 80, 82);
	fill(b, 80, 998, W - 80, 1000);
	assert_true(vertical(b));
	b = page(0, 12, 30, 3, 18);
	for (int l = 0; l <= 12; l++)
		fill(b, 80, 100 + l * 38 - 10, 1100, 100 + l * 38 - 8);
	assert_false(vertical(b));
	b = pixCreate(W, H, 1);
	for (int y = 10; y < H - 10; y += 7)	/* columns, were they characters */
		for (int x = 10; x < W - 10; x += 40)
			fill(b, x, y, x + 5, y + 5);	/* 5 x 5: under dpi/25 */
	assert_false(vertical(b));
	/* A form's boxes to write in, 60 x 60, in columns: frames, not characters. */
	b = pixCreate(W, H, 1);
	for (int x = 100; x < 1000; x += 120)
		for (int y = 100; y < 1600; y += 70)
			mark(b, x, y, 60, 60);
	assert_false(vertical(b));
	/* Grey: not a black and white. */
	b = page(1, 12, 30, 3, 18);
	g = pixConvert1To8(NULL, b, 255, 0);
	pixDestroy(&b);
	assert_false(vertical(g));
}

/* More parts than are looked at: the first OCR_VERTICAL_MAX_PARTS (from the top)
 * decide. Above, rows of them; below, more of them in columns: all of them
 * together would be vertical. */
static void
test_parts_past_the_bound_are_not_looked_at(void **state)
{
	PIX *b = pixCreate(W, H, 1);
	int rows = 0, columns = 0;

	(void)state;
	assert_non_null(b);
	for (int y = 10; rows < OCR_VERTICAL_MAX_PARTS; y += 12)
		for (int x = 10; x + 7 < W && rows < OCR_VERTICAL_MAX_PARTS; x += 10, rows++)
			mark(b, x, y, 7, 7);
	for (int x = W - 30; x > 10; x -= 13)
		for (int y = 820; y + 7 < H; y += 9, columns++)
			mark(b, x, y, 7, 7);
	assert_true(columns > rows);
	assert_false(ocr_vertical_page(b, DPI));
	pixRasterop(b, 0, 0, W, 800, PIX_CLR, NULL, 0, 0);	/* the rows gone */
	assert_true(vertical(b));
}

/* Onto b, a row of n marks of 20 from (x, y), gap apart. */
static void
row(PIX *b, int x, int y, int n, int gap)
{
	for (int k = 0; k < n; k++)
		mark(b, x + k * (20 + gap), y, 20, 20);
}

static unsigned
across(PIX *b, struct ocr_rows *rows)
{
	unsigned n = ocr_vertical_across(b, DPI, rows);

	pixDestroy(&b);
	return n;
}

/*
 * A heading over the columns (rows 100 to 787) and a line under them are across,
 * each widened to halfway to the columns; the columns alone have nothing across.
 */
static void
test_a_heading_and_a_line_under_the_columns_are_across(void **state)
{
	struct ocr_rows rows[OCR_VERTICAL_MAX_ACROSS];
	PIX *b = page(1, 12, 30, 3, 18);

	(void)state;
	row(b, 300, 40, 10, 3);
	row(b, 500, 850, 12, 2);
	assert_int_equal(across(b, rows), 2);
	assert_int_equal(rows[0].y0, 0);
	assert_int_equal(rows[0].y1, (60 + 100) / 2);
	assert_int_equal(rows[1].y0, (787 + 850) / 2);
	assert_int_equal(rows[1].y1, H);
	assert_int_equal(across(page(1, 12, 30, 3, 18), rows), 0);
}

/* A heading closer to the columns than half a character (10 here) is one band with
 * them: not told apart. */
static void
test_a_heading_joined_to_the_columns_is_not_across(void **state)
{
	struct ocr_rows rows[OCR_VERTICAL_MAX_ACROSS];
	PIX *b = page(1, 12, 30, 3, 18);

	(void)state;
	row(b, 300, 71, 10, 3);			/* 9 rows over them */
	assert_int_equal(across(b, rows), 0);
	b = page(1, 12, 30, 3, 18);
	row(b, 300, 70, 10, 3);			/* 10 */
	assert_int_equal(across(b, rows), 1);
	assert_int_equal(rows[0].y1, (90 + 100) / 2);
}

/* Columns in two tiers (段) are two bands, neither across; a short column apart from
 * the rest, or two marks side by side, are not a line across either. */
static void
test_columns_and_a_few_marks_are_not_across(void **state)
{
	struct ocr_rows rows[OCR_VERTICAL_MAX_ACROSS];
	PIX *b = page(1, 12, 10, 3, 18);	/* rows 100 to 327 */

	(void)state;
	for (int l = 0; l < 12; l++)		/* the second tier, from 500 */
		for (int k = 0; k < 10; k++)
			mark(b, W - 120 - l * 38, 500 + k * 23, 20, 20);
	for (int k = 0; k < 4; k++)		/* a column of 4, apart */
		mark(b, 200, 1000 + k * 23, 20, 20);
	row(b, 600, 1300, 2, 3);
	assert_int_equal(across(b, rows), 0);
	b = page(1, 12, 10, 3, 18);
	row(b, 600, 1300, 3, 3);		/* three side by side: a line */
	assert_int_equal(across(b, rows), 1);
}

/* A line's characters stack a part over another now and then (思): still across.
 * Lines set closer than half a character are one band, across when the lines are
 * more than twice as far apart as their characters. */
static void
test_lines_across_are_told_by_their_gaps(void **state)
{
	struct ocr_rows rows[OCR_VERTICAL_MAX_ACROSS];
	PIX *b = page(1, 12, 30, 3, 18);

	(void)state;
	row(b, 300, 40, 10, 3);
	mark(b, 300 + 2 * 23, 62, 20, 8);	/* under the third and sixth */
	mark(b, 300 + 5 * 23, 62, 20, 8);
	assert_int_equal(across(b, rows), 1);
	b = page(1, 12, 30, 3, 18);
	for (int l = 0; l < 3; l++)		/* 5 apart, characters 2 apart */
		row(b, 300, 900 + l * 25, 10, 2);
	assert_int_equal(across(b, rows), 1);
	assert_int_equal(rows[0].y0, (787 + 900) / 2);
	b = page(1, 12, 30, 3, 18);
	for (int l = 0; l < 3; l++)		/* 6 apart, characters 3 apart */
		row(b, 300, 900 + l * 26, 10, 3);
	assert_int_equal(across(b, rows), 0);
}

/* Nothing but lines across is not a vertical page with a heading; more than
 * OCR_VERTICAL_MAX_ACROSS of them under the columns is not either; nor is what is
 * not black and white. */
static void
test_a_page_of_lines_across_has_no_rows_across(void **state)
{
	struct ocr_rows rows[OCR_VERTICAL_MAX_ACROSS];
	PIX *b, *g;

	(void)state;
	assert_int_equal(across(page(0, 5, 30, 3, 18), rows), 0);	/* 5 lines */
	b = page(1, 12, 30, 3, 18);
	for (int l = 0; l < OCR_VERTICAL_MAX_ACROSS; l++)
		row(b, 300, 850 + l * 60, 10, 3);
	assert_int_equal(across(b, rows), OCR_VERTICAL_MAX_ACROSS);
	for (int l = 1; l < OCR_VERTICAL_MAX_ACROSS; l++)
		assert_true(rows[l].y0 == rows[l - 1].y1 && rows[l].y1 > rows[l].y0);
	b = page(1, 12, 30, 3, 18);
	for (int l = 0; l <= OCR_VERTICAL_MAX_ACROSS; l++)
		row(b, 300, 850 + l * 60, 10, 3);
	assert_int_equal(across(b, rows), 0);
	b = page(1, 12, 30, 3, 18);
	row(b, 300, 40, 10, 3);
	g = pixConvert1To8(NULL, b, 255, 0);
	pixDestroy(&b);
	assert_int_equal(across(g, rows), 0);
	assert_int_equal(ocr_vertical_across(NULL, DPI, rows), 0);
}

/* Onto b, a column of n marks of w x h from (x, y), gap apart. */
static void
column(PIX *b, int x, int y, int n, int w, int h, int gap)
{
	for (int k = 0; k < n; k++)
		mark(b, x, y + k * (h + gap), w, h);
}

/* A form's rows across (marks of 20, from x = 200, lines 48 apart): a page told
 * across, as its labels' neighbours. */
static PIX *
form(void)
{
	PIX *b = pixCreate(W, H, 1);

	assert_non_null(b);
	for (int l = 0; l < 8; l++)
		row(b, 200, 100 + 48 * l, 12, 3);
	return b;
}

static unsigned
islands(PIX *b, struct ocr_box *boxes)
{
	unsigned n = ocr_vertical_islands(b, NULL, DPI, boxes);

	pixDestroy(&b);
	return n;
}

/*
 * A label written down its cell (three marks of 20, 2 apart) left of the rows, more
 * than a character from them: a column standing alone, its box widened by a quarter
 * character (the page's upper quartile of part heights, 20 here). Within a character
 * of the rows, it is crowded: not told.
 */
static void
test_a_label_down_beside_rows_is_an_island(void **state)
{
	struct ocr_box boxes[OCR_VERTICAL_MAX_ISLANDS];
	PIX *b = form();

	(void)state;
	column(b, 150, 100, 3, 20, 20, 2);	/* 30 from the rows */
	column(b, 150, 300, 2, 20, 20, 2);	/* two characters are enough */
	assert_int_equal(islands(b, boxes), 2);
	assert_int_equal(boxes[0].x0, 150 - 5);
	assert_int_equal(boxes[0].y0, 100 - 5);
	assert_int_equal(boxes[0].x1, 170 + 5);
	assert_int_equal(boxes[0].y1, 164 + 5);
	assert_int_equal(boxes[1].y0, 300 - 5);
	b = form();
	column(b, 161, 100, 3, 20, 20, 2);	/* 19 from them */
	assert_int_equal(islands(b, boxes), 0);
	b = form();
	column(b, 160, 100, 3, 20, 20, 2);	/* 20 */
	assert_int_equal(islands(b, boxes), 1);
	assert_int_equal(islands(form(), boxes), 0);
	/* Rows mostly of short parts (kana's strokes: 20 x 10) among whole characters:
	 * a character is still 20, the upper quartile (the median is 10), and a label 15
	 * from the rows is crowded. */
	b = pixCreate(W, H, 1);
	assert_non_null(b);
	for (int l = 0; l < 8; l++)
		for (int k = 0; k < 12; k++)
			mark(b, 200 + k * 23, 100 + 48 * l, 20, k % 2 == 0 || k % 5 == 1 ? 10 : 20);
	column(b, 165, 100, 3, 20, 20, 2);
	assert_int_equal(islands(b, boxes), 0);
}

/* A column set solid has its characters under 3/4 of a character (15) apart, from
 * the bottom of one to the top of the next (two characters: three as far apart are
 * spread over their cell, next test); one mark alone is no column. */
static void
test_an_island_s_characters_are_under_three_quarters_of_one_apart(void **state)
{
	struct ocr_box boxes[OCR_VERTICAL_MAX_ISLANDS];
	PIX *b = form();

	(void)state;
	column(b, 100, 100, 3, 20, 20, 14);
	assert_int_equal(islands(b, boxes), 1);
	assert_int_equal(boxes[0].y1, 188 + 5);
	b = form();
	column(b, 100, 100, 2, 20, 20, 14);
	assert_int_equal(islands(b, boxes), 1);
	b = form();
	column(b, 100, 100, 2, 20, 20, 15);
	assert_int_equal(islands(b, boxes), 0);
	b = form();
	mark(b, 100, 100, 20, 20);
	assert_int_equal(islands(b, boxes), 0);
}

/*
 * A label spread over its cell (均等割付): three characters or more, farther apart
 * than a column set solid joins (3/4 of a character, 15), up to 5 characters (100),
 * their centres one pitch apart within a fifth of a character (4). Two are not
 * enough (but in a ruled cell, next test); nor is a pitch that changes, or a column
 * as wide as a word.
 */
static void
test_a_label_spread_over_its_cell_is_an_island(void **state)
{
	struct ocr_box boxes[OCR_VERTICAL_MAX_ISLANDS];
	PIX *b = form();

	(void)state;
	column(b, 100, 100, 3, 20, 20, 15);	/* 3/4 of a character apart */
	column(b, 100, 400, 4, 20, 20, 40);	/* two */
	assert_int_equal(islands(b, boxes), 2);
	assert_int_equal(boxes[0].y0, 100 - 5);
	assert_int_equal(boxes[0].y1, 190 + 5);
	assert_int_equal(boxes[1].y0, 400 - 5);
	assert_int_equal(boxes[1].y1, 600 + 5);
	b = form();
	column(b, 100, 100, 3, 20, 20, 99);	/* under five */
	assert_int_equal(islands(b, boxes), 1);
	assert_int_equal(boxes[0].y1, 358 + 5);
	b = form();
	column(b, 100, 100, 3, 20, 20, 100);	/* five: too far */
	assert_int_equal(islands(b, boxes), 0);
	b = form();
	column(b, 100, 100, 2, 20, 20, 30);	/* two characters */
	assert_int_equal(islands(b, boxes), 0);
	/* The pitch 50, then 54 or 46: the third is the column's; 55 or 45: it is not. */
	for (int third = 195; third <= 205; third++) {
		b = form();
		column(b, 100, 100, 2, 20, 20, 30);
		mark(b, 100, third, 20, 20);
		assert_int_equal(islands(b, boxes), third >= 196 && third <= 204 ? 1 : 0);
	}
	/* A table's words, row under row, as regular, but as wide as 4 characters (G1xxx):
	 * as wide as 30 is a character's; 31 is not. */
	b = form();
	for (int k = 0; k < 4; k++)
		row(b, 100, 100 + 60 * k, 4, 3);
	assert_int_equal(islands(b, boxes), 0);
	b = form();
	column(b, 100, 100, 3, 30, 20, 30);
	assert_int_equal(islands(b, boxes), 1);
	b = form();
	column(b, 100, 100, 3, 31, 20, 30);
	assert_int_equal(islands(b, boxes), 0);
}

/* A spread label does not take in an island set solid (the pitch of its top
 * character would do), and the islands come top to bottom, whichever was told
 * first. A column set solid that was not an island (its last character crowded) is
 * not one spread either, though its first three keep a pitch: what is closer than
 * 3/4 of a character is for the solid columns to tell. */
static void
test_spread_labels_leave_solid_ones_whole(void **state)
{
	struct ocr_box boxes[OCR_VERTICAL_MAX_ISLANDS];
	PIX *b = form();

	(void)state;
	column(b, 100, 100, 3, 20, 20, 30);	/* centres 110, 160, 210 */
	column(b, 100, 250, 3, 20, 20, 2);	/* 260: one pitch on */
	assert_int_equal(islands(b, boxes), 2);
	assert_int_equal(boxes[0].y0, 100 - 5);
	assert_int_equal(boxes[0].y1, 220 + 5);
	assert_int_equal(boxes[1].y0, 250 - 5);
	assert_int_equal(boxes[1].y1, 314 + 5);
	b = form();
	column(b, 100, 100, 3, 20, 20, 2);
	mark(b, 100, 172, 20, 20);		/* 8 under, crowded on its right */
	mark(b, 125, 172, 20, 20);
	assert_int_equal(islands(b, boxes), 0);
}

/* Sections of a form as tall as three pitches of their spread labels: the labels
 * keep the pitch from cell to cell, and a ruled line between the cells (the rules'
 * mask) ends each. A rule down the column (a cell's side), or the mask of another
 * page's size, ends nothing. */
static void
test_a_spread_label_ends_at_a_rule_across(void **state)
{
	struct ocr_box boxes[OCR_VERTICAL_MAX_ISLANDS];
	PIX *b = form(), *rules = pixCreate(W, H, 1), *other = pixCreate(W, H / 2, 1);

	(void)state;
	assert_non_null(rules);
	assert_non_null(other);
	column(b, 100, 100, 6, 20, 20, 30);	/* 100 .. 370, two cells of three */
	assert_int_equal(ocr_vertical_islands(b, NULL, DPI, boxes), 1);
	fill(other, 60, 244, 160, 246);
	assert_int_equal(ocr_vertical_islands(b, other, DPI, boxes), 1);
	fill(rules, 99, 100, 101, 400);		/* down the column's left side */
	assert_int_equal(ocr_vertical_islands(b, rules, DPI, boxes), 1);
	fill(rules, 60, 244, 160, 246);		/* across, between the cells */
	assert_int_equal(ocr_vertical_islands(b, rules, DPI, boxes), 2);
	assert_int_equal(boxes[0].y1, 220 + 5);
	assert_int_equal(boxes[1].y0, 250 - 5);
	pixDestroy(&other);
	pixDestroy(&rules);
	pixDestroy(&b);
}

/* Two characters spread have no pitch to keep: they are a label as they fill a
 * ruled cell, a rule across within a character (20) of them above and below. A
 * list's bullets at a pitch (marks under 3/4 of a character each way) are no
 * label's characters; 15 wide, they are. Nor is such a mark a label's first. */
static void
test_two_spread_characters_fill_a_ruled_cell(void **state)
{
	struct ocr_box is[OCR_VERTICAL_MAX_ISLANDS];
	PIX *b = form(), *rules = pixCreate(W, H, 1);

	(void)state;
	assert_non_null(rules);
	column(b, 100, 100, 2, 20, 20, 60);	/* 100 .. 200 */
	assert_int_equal(ocr_vertical_islands(b, NULL, DPI, is), 0);
	fill(rules, 60, 80, 160, 82);		/* 18 above */
	assert_int_equal(ocr_vertical_islands(b, rules, DPI, is), 0);
	fill(rules, 60, 218, 160, 220);		/* 18 below */
	assert_int_equal(ocr_vertical_islands(b, rules, DPI, is), 1);
	assert_int_equal(is[0].y0, 100 - 5);
	assert_int_equal(is[0].y1, 200 + 5);
	pixClearAll(rules);
	fill(rules, 60, 78, 160, 80);		/* 20 above: too far */
	fill(rules, 60, 218, 160, 220);
	assert_int_equal(ocr_vertical_islands(b, rules, DPI, is), 0);
	pixDestroy(&b);
	/* Bullets, 14 x 14 and 15 x 8, at a pitch of 50; marks of 20 among them. */
	b = form();
	for (int k = 0; k < 4; k++)
		mark(b, 100, 100 + 50 * k, 14, 14);
	assert_int_equal(ocr_vertical_islands(b, NULL, DPI, is), 0);
	pixDestroy(&b);
	b = form();
	for (int k = 0; k < 4; k++)
		mark(b, 100, 100 + 50 * k, 15, 8);
	assert_int_equal(ocr_vertical_islands(b, NULL, DPI, is), 1);
	pixDestroy(&b);
	/* A character over bullets is no label either. */
	b = form();
	mark(b, 100, 100, 20, 20);
	for (int k = 1; k < 4; k++)
		mark(b, 103, 103 + 50 * k, 14, 14);
	assert_int_equal(ocr_vertical_islands(b, NULL, DPI, is), 0);
	pixDestroy(&b);
	/* A mark one pitch over a label begins no column; the label under it does. */
	b = form();
	mark(b, 103, 103, 14, 14);
	column(b, 100, 150, 3, 20, 20, 30);
	assert_int_equal(ocr_vertical_islands(b, NULL, DPI, is), 1);
	assert_int_equal(is[0].y0, 150 - 5);
	pixDestroy(&rules);
	pixDestroy(&b);
}

/* A spread label's character may be parts stacked (帯: 卅 over 巾; 主: its dot too
 * small to be a part, 王 under the line of the others): the character is its parts
 * less than 3/4 of one apart, at most 5/4 of one tall, and its centre keeps the
 * pitch. Followed part by part, 帯's 巾 broke the pitch. */
static void
test_a_spread_label_s_characters_are_whole(void **state)
{
	struct ocr_box boxes[OCR_VERTICAL_MAX_ISLANDS];
	PIX *b = form();

	(void)state;
	mark(b, 100, 100, 20, 20);		/* 口 */
	mark(b, 100, 150, 20, 9);		/* 帯: two parts of 9, 2 apart */
	mark(b, 100, 161, 20, 9);
	mark(b, 100, 200, 20, 20);		/* 口 */
	mark(b, 100, 253, 20, 17);		/* 主: 3 lower, 17 tall */
	assert_int_equal(islands(b, boxes), 1);
	assert_int_equal(boxes[0].y0, 100 - 5);
	assert_int_equal(boxes[0].y1, 270 + 5);
	/* The first character too: 帯, 口, 口. */
	b = form();
	mark(b, 100, 100, 20, 9);
	mark(b, 100, 111, 20, 9);
	column(b, 100, 150, 2, 20, 20, 30);
	assert_int_equal(islands(b, boxes), 1);
	assert_int_equal(boxes[0].y0, 100 - 5);
	/* Parts together taller than 5/4 of a character (28 > 25) are two characters,
	 * and the pitch breaks; 24 tall, one on the pitch. */
	for (int tall = 24; tall <= 28; tall += 4) {
		int part = (tall - 2) / 2;

		b = form();
		mark(b, 100, 100, 20, 20);
		mark(b, 100, 160 - tall / 2, 20, part);
		mark(b, 100, 160 - tall / 2 + part + 2, 20, part);
		column(b, 100, 200, 2, 20, 20, 30);
		assert_int_equal(islands(b, boxes), tall <= 25 ? 1 : 0);
	}
}

/*
 * A character may be more than one part (由 inside 尸, 云 beside 車, 刃 over 心
 * beside 言 in 認): the column takes in every part within it, goes on from the
 * character's bottom, not the part's it followed, and begins once, however many
 * parts its top character has. Left out, a character's other parts crowded their
 * own column, and a label broke where its part followed ended high.
 */
static void
test_a_column_takes_in_every_part_of_its_characters(void **state)
{
	struct ocr_box boxes[OCR_VERTICAL_MAX_ISLANDS];
	PIX *b = form();

	(void)state;
	mark(b, 100, 100, 20, 20);		/* 口, 回, 口 */
	mark(b, 100, 122, 20, 20);
	mark(b, 106, 128, 8, 8);
	mark(b, 100, 144, 20, 20);
	assert_int_equal(islands(b, boxes), 1);
	assert_int_equal(boxes[0].y0, 100 - 5);
	assert_int_equal(boxes[0].y1, 164 + 5);
	b = form();
	mark(b, 100, 100, 9, 20);		/* two parts side by side, over 口, 口 */
	mark(b, 111, 100, 9, 20);
	column(b, 100, 122, 2, 20, 20, 2);
	assert_int_equal(islands(b, boxes), 1);
	assert_int_equal(boxes[0].x0, 100 - 5);
	assert_int_equal(boxes[0].x1, 120 + 5);
	assert_int_equal(boxes[0].y1, 164 + 5);
	/* A stroke above and left of a narrow top character, under the column's width
	 * but too narrow over the next character to begin a column of its own. */
	b = form();
	mark(b, 105, 100, 10, 20);
	column(b, 100, 122, 2, 20, 20, 2);
	fill(b, 96, 95, 103, 110);
	assert_int_equal(islands(b, boxes), 1);
	assert_int_equal(boxes[0].x0, 96 - 5);
	assert_int_equal(boxes[0].y0, 95 - 5);
	/* Beside four 口 (6 apart), strokes whose boxes, not ink, overlap: one the
	 * column's, one above it that overlaps only that one, one above that again that
	 * overlaps only the second: each taken in the round after the last. */
	b = form();
	column(b, 100, 100, 4, 20, 20, 6);
	fill(b, 112, 148, 130, 150);		/* 112..130 x 130..150 */
	fill(b, 128, 130, 130, 150);
	fill(b, 126, 104, 140, 106);		/* 126..140 x 104..128 */
	fill(b, 138, 104, 140, 128);
	fill(b, 136, 101, 150, 103);		/* 136..150 x 101..115 */
	fill(b, 148, 101, 150, 115);
	assert_int_equal(islands(b, boxes), 1);
	assert_int_equal(boxes[0].x1, 150 + 5);
	/* 口, then a short part on the right, its top first, over a tall one on the left,
	 * then 口 14 under the tall one's bottom (24 under the short one's). */
	b = form();
	mark(b, 100, 100, 20, 20);
	mark(b, 111, 121, 9, 10);
	mark(b, 100, 122, 9, 20);
	mark(b, 100, 156, 20, 20);
	assert_int_equal(islands(b, boxes), 1);
	assert_int_equal(boxes[0].y1, 176 + 5);
}

/*
 * An island is at least half a character wide (a scan's broken strokes are narrow),
 * one and a half tall (two marks of 12 are not: a character's stacked parts, 思) and
 * 9/5 as tall as wide (three wide marks of 40 x 20 are not, four are).
 */
static void
test_an_island_is_a_narrow_tall_column_of_characters(void **state)
{
	struct ocr_box boxes[OCR_VERTICAL_MAX_ISLANDS];
	PIX *b = form();

	(void)state;
	column(b, 100, 100, 3, 9, 20, 2);	/* 9 wide */
	assert_int_equal(islands(b, boxes), 0);
	b = form();
	column(b, 100, 100, 3, 10, 20, 2);	/* 10 */
	assert_int_equal(islands(b, boxes), 1);
	b = form();
	column(b, 100, 100, 2, 12, 13, 2);	/* 28 tall */
	assert_int_equal(islands(b, boxes), 0);
	b = form();
	column(b, 100, 100, 2, 12, 14, 2);	/* 30 */
	assert_int_equal(islands(b, boxes), 1);
	b = form();
	column(b, 100, 100, 3, 40, 20, 2);	/* 64 x 40 */
	assert_int_equal(islands(b, boxes), 0);
	b = form();
	column(b, 100, 100, 4, 40, 20, 2);	/* 86 x 40 */
	assert_int_equal(islands(b, boxes), 1);
}

/* Text set solid (lines as close as characters) chains down its columns, and each
 * is crowded by the next; a vertical page's columns likewise. More than
 * OCR_VERTICAL_MAX_ISLANDS columns standing alone is not a form's few labels; nor is
 * what is not black and white. */
static void
test_solid_text_columns_and_too_many_have_no_islands(void **state)
{
	struct ocr_box boxes[OCR_VERTICAL_MAX_ISLANDS];
	PIX *b, *g;

	(void)state;
	assert_int_equal(islands(page(0, 30, 40, 3, 2), boxes), 0);
	assert_int_equal(islands(page(1, 12, 30, 3, 18), boxes), 0);
	b = form();
	for (int k = 0; k < OCR_VERTICAL_MAX_ISLANDS; k++)
		column(b, 100 + (k % 2) * 800, 500 + (k / 2) * 120, 3, 20, 20, 2);
	assert_int_equal(islands(b, boxes), OCR_VERTICAL_MAX_ISLANDS);
	b = form();
	for (int k = 0; k <= OCR_VERTICAL_MAX_ISLANDS; k++)
		column(b, 100 + (k % 2) * 800, 500 + (k / 2) * 120, 3, 20, 20, 2);
	assert_int_equal(islands(b, boxes), 0);
	b = form();
	column(b, 100, 100, 3, 20, 20, 2);
	g = pixConvert1To8(NULL, b, 255, 0);
	pixDestroy(&b);
	assert_int_equal(islands(g, boxes), 0);
	assert_int_equal(ocr_vertical_islands(NULL, NULL, DPI, boxes), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_columns_are_vertical_rows_are_not),
		cmocka_unit_test(test_the_columns_must_be_clearly_apart),
		cmocka_unit_test(test_a_calendar_is_not_vertical),
		cmocka_unit_test(test_too_little_text_tells_nothing),
		cmocka_unit_test(test_rules_and_specks_do_not_count),
		cmocka_unit_test(test_parts_past_the_bound_are_not_looked_at),
		cmocka_unit_test(test_a_heading_and_a_line_under_the_columns_are_across),
		cmocka_unit_test(test_a_heading_joined_to_the_columns_is_not_across),
		cmocka_unit_test(test_columns_and_a_few_marks_are_not_across),
		cmocka_unit_test(test_lines_across_are_told_by_their_gaps),
		cmocka_unit_test(test_a_page_of_lines_across_has_no_rows_across),
		cmocka_unit_test(test_a_label_down_beside_rows_is_an_island),
		cmocka_unit_test(test_an_island_s_characters_are_under_three_quarters_of_one_apart),
		cmocka_unit_test(test_a_label_spread_over_its_cell_is_an_island),
		cmocka_unit_test(test_a_spread_label_s_characters_are_whole),
		cmocka_unit_test(test_spread_labels_leave_solid_ones_whole),
		cmocka_unit_test(test_a_spread_label_ends_at_a_rule_across),
		cmocka_unit_test(test_two_spread_characters_fill_a_ruled_cell),
		cmocka_unit_test(test_a_column_takes_in_every_part_of_its_characters),
		cmocka_unit_test(test_an_island_is_a_narrow_tall_column_of_characters),
		cmocka_unit_test(test_solid_text_columns_and_too_many_have_no_islands),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
