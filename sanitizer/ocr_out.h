/*
 * ocr_out.h — the OCR child's output as it is made (ocr.h gives its format): records
 * appended to a buffer that grows, written to the parent page by page. A failed
 * allocation is remembered and every later append ignored, so that whoever writes
 * the buffer out checks once.
 */
#ifndef SEKISHO_OCR_OUT_H
#define SEKISHO_OCR_OUT_H

#include <stddef.h>
#include <stdint.h>

struct ocr_out {
	uint8_t *p;
	size_t len, cap;
	int failed;
};

/* Append n bytes of data to o (or nothing, o->failed set, when memory runs out). */
void ocr_out_put(struct ocr_out *o, const void *data, size_t n);

/* Append a record of a tag and a big-endian 32-bit number. */
void ocr_out_u32(struct ocr_out *o, uint8_t tag, uint32_t v);

/* Box (x0, y0)-(x1, y1) clamped to a w x h page, into out as a record's box: four
 * big-endian 16-bit numbers. Whether what is left of it is not empty. */
int ocr_out_box(int x0, int y0, int x1, int y1, uint32_t w, uint32_t h, uint8_t out[8]);

/* One of those numbers back. */
uint16_t ocr_out_be16(const uint8_t *p);

#endif
