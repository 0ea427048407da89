/*
 * photo.c — WebP and HEIF decoded in the render child, pixels out.
 *
 * The invariant: a frame is written only from a decoder's output buffer whose size
 * was checked against the render limits before decoding (the header's declared
 * width and height) and again after (the decoded image's). Alpha is composited over
 * white here, so the parent sees opaque grey or RGB as from MuPDF. libheif is told
 * to decode tiles on the calling thread (heif_context_set_max_decoding_threads 0):
 * the child may not start threads.
 */
#include "photo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libheif/heif.h>
#include <webp/decode.h>

static int
dims_ok(int64_t w, int64_t h, const struct render_limits *lim)
{
	return w > 0 && h > 0 && w <= PIXELS_MAX_DIMENSION && h <= PIXELS_MAX_DIMENSION &&
	    (uint64_t)w * (uint64_t)h <= lim->max_page_pixels;
}

/* Blend a value over white with alpha a. */
static uint8_t
over_white(uint8_t v, uint8_t a)
{
	return (uint8_t)((v * a + 255 * (255 - a) + 127) / 255);
}

/*
 * Write rows of in_ch-channel pixels (3 RGB, 4 RGBA) at stride as one frame: grey
 * if no pixel has colour (as render.c does for MuPDF's pixmaps), RGB otherwise.
 */
static int
emit_rgb(const uint8_t *px, uint32_t w, uint32_t h, size_t stride, unsigned in_ch,
    struct pixels_writer *wr)
{
	struct pixels_header hd = { .width = w, .height = h, .depth = 8, .channels = 1 };
	uint8_t *row;
	uint32_t x, y;
	int rc = 0;

	for (y = 0; y < h && hd.channels == 1; y++) {
		const uint8_t *s = px + (size_t)y * stride;

		for (x = 0; x < w; x++, s += in_ch)
			if (s[0] != s[1] || s[1] != s[2]) {
				hd.channels = 3;
				break;
			}
	}
	if ((row = malloc((size_t)w * 3)) == NULL)
		return RENDER_EXIT_LIMITS;
	if (pixels_writer_frame(wr, &hd) != 0) {
		free(row);
		return RENDER_EXIT_IO;
	}
	for (y = 0; y < h && rc == 0; y++) {
		const uint8_t *s = px + (size_t)y * stride;

		for (x = 0; x < w; x++, s += in_ch) {
			uint8_t a = in_ch == 4 ? s[3] : 255;

			if (hd.channels == 1) {
				row[x] = over_white(s[0], a);
			} else {
				row[3 * x] = over_white(s[0], a);
				row[3 * x + 1] = over_white(s[1], a);
				row[3 * x + 2] = over_white(s[2], a);
			}
		}
		rc = pixels_writer_row(wr, row);
	}
	free(row);
	return rc == 0 ? RENDER_EXIT_OK : RENDER_EXIT_IO;
}

/* ---- WebP ---- */

int
photo_webp(const uint8_t *data, size_t len, const struct render_limits *lim,
    struct pixels_writer *w)
{
	WebPBitstreamFeatures f;
	uint8_t *px;
	int width, height, rc;

	if (WebPGetFeatures(data, len, &f) != VP8_STATUS_OK)
		return RENDER_EXIT_BROKEN;
	if (f.has_animation)
		return RENDER_EXIT_BROKEN;	/* WebPDecode decodes no animation */
	if (!dims_ok(f.width, f.height, lim))
		return RENDER_EXIT_LIMITS;
	px = f.has_alpha ? WebPDecodeRGBA(data, len, &width, &height)
			 : WebPDecodeRGB(data, len, &width, &height);
	if (px == NULL)
		return RENDER_EXIT_BROKEN;
	if (width != f.width || height != f.height || !dims_ok(width, height, lim)) {
		WebPFree(px);
		return RENDER_EXIT_BROKEN;
	}
	rc = emit_rgb(px, (uint32_t)width, (uint32_t)height,
		      (size_t)width * (f.has_alpha ? 4 : 3), f.has_alpha ? 4 : 3, w);
	WebPFree(px);
	return rc;
}

void
photo_webp_version(char *buf, size_t len)
{
	int n = WebPGetDecoderVersion();

	snprintf(buf, len, "libwebp/%d.%d.%d", (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
}

/* ---- HEIF ---- */

int
photo_heif(const uint8_t *data, size_t len, const struct render_limits *lim,
    struct pixels_writer *w)
{
	struct heif_context *ctx;
	struct heif_image_handle *hd = NULL;
	struct heif_image *img = NULL;
	struct heif_decoding_options *opt = NULL;
	struct heif_error err;
	const uint8_t *plane;
	int stride, width, height, alpha, rc = RENDER_EXIT_BROKEN;

	if ((ctx = heif_context_alloc()) == NULL)
		return RENDER_EXIT_LIMITS;
	heif_context_set_max_decoding_threads(ctx, 0);
	/* libheif's own bound on width*height (its argument squared). */
	heif_context_set_maximum_image_size_limit(ctx, PIXELS_MAX_DIMENSION);
	err = heif_context_read_from_memory_without_copy(ctx, data, len, NULL);
	if (err.code != heif_error_Ok) {
		rc = err.subcode == heif_suberror_Security_limit_exceeded ? RENDER_EXIT_LIMITS
									     : RENDER_EXIT_BROKEN;
		goto out;
	}
	if (heif_context_get_primary_image_handle(ctx, &hd).code != heif_error_Ok)
		goto out;
	/* The handle's size is the coded size; rotation swaps sides, not the product. */
	if (!dims_ok(heif_image_handle_get_width(hd), heif_image_handle_get_height(hd), lim)) {
		rc = RENDER_EXIT_LIMITS;
		goto out;
	}
	alpha = heif_image_handle_has_alpha_channel(hd);
	if ((opt = heif_decoding_options_alloc()) == NULL) {
		rc = RENDER_EXIT_LIMITS;
		goto out;
	}
	opt->ignore_transformations = 0;	/* irot/imir/clap: the picture upright */
	opt->convert_hdr_to_8bit = 1;
	err = heif_decode_image(hd, &img, heif_colorspace_RGB,
	    alpha ? heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB, opt);
	if (err.code != heif_error_Ok) {
		rc = err.code == heif_error_Memory_allocation_error ||
		    err.subcode == heif_suberror_Security_limit_exceeded
		    ? RENDER_EXIT_LIMITS : RENDER_EXIT_BROKEN;
		goto out;
	}
	width = heif_image_get_width(img, heif_channel_interleaved);
	height = heif_image_get_height(img, heif_channel_interleaved);
	plane = heif_image_get_plane_readonly(img, heif_channel_interleaved, &stride);
	if (plane == NULL || !dims_ok(width, height, lim) ||
	    heif_image_get_bits_per_pixel(img, heif_channel_interleaved) != (alpha ? 32 : 24) ||
	    stride < width * (alpha ? 4 : 3))
		goto out;
	rc = emit_rgb(plane, (uint32_t)width, (uint32_t)height, (size_t)stride, alpha ? 4 : 3, w);
out:
	heif_image_release(img);
	heif_decoding_options_free(opt);
	heif_image_handle_release(hd);
	heif_context_free(ctx);
	return rc;
}

const char *
photo_heif_version(void)
{
	return "libheif/" LIBHEIF_VERSION " (libde265)";
}
