/*
 * fec.c — Reed-Solomon erasure coding of one block, over Intel ISA-L.
 *
 * Encoding multiplies the data by the parity rows of a Cauchy matrix. Decoding
 * solves only for what is missing: with e data symbols lost, it takes e surviving
 * parity rows, inverts their e x e submatrix over the missing columns (a Cauchy
 * submatrix, hence always invertible) and folds the known data into one e x kb
 * decode matrix, which ec_encode_data applies in a single pass. That is the same
 * result as inverting the whole kb x kb surviving matrix, at O(e^3 + e^2 kb)
 * instead of O(kb^3) per block, which matters when every block of a 50 MB object
 * has lost a symbol or two.
 */
#include <stdlib.h>
#include <string.h>

#include <isa-l/erasure_code.h>

#include "fec.h"

struct fec {
	unsigned k, m;
	uint8_t *matrix;	/* (k + m) x k Cauchy encoding matrix */
	uint8_t *enc_tbls;	/* tables for a full block: 32 * k * m */
	uint8_t *short_tbls;	/* tables for a shortened block of short_kb columns */
	unsigned short_kb;
	uint8_t *sub;		/* scratch: m x k coefficients */
	uint8_t *dec_tbls;	/* scratch: 32 * k * m */
	uint8_t *b, *binv;	/* scratch: m x m */
	const uint8_t **in;	/* scratch: k input pointers */
	uint8_t **outp;		/* scratch: m output pointers */
	unsigned *miss, *rows;	/* scratch: missing data indices, chosen parity rows */
};

const char *
fec_strerror(int rc)
{
	switch (rc) {
	case FEC_OK:		return "ok";
	case FEC_EARG:		return "invalid FEC parameters";
	case FEC_ENOMEM:	return "out of memory";
	case FEC_ETOOFEW:	return "not enough symbols to decode the block";
	case FEC_ESINGULAR:	return "singular decoding matrix";
	default:		return "unknown error";
	}
}

void
fec_free(struct fec *f)
{
	if (f == NULL)
		return;
	free(f->matrix);
	free(f->enc_tbls);
	free(f->short_tbls);
	free(f->sub);
	free(f->dec_tbls);
	free(f->b);
	free(f->binv);
	free(f->in);
	free(f->outp);
	free(f->miss);
	free(f->rows);
	free(f);
}

int
fec_new(struct fec **out, unsigned k, unsigned m)
{
	struct fec *f;
	size_t km1 = (size_t)k * (m ? m : 1), mm = (size_t)(m ? m : 1) * (m ? m : 1);

	*out = NULL;
	if (k < 1 || k + m > FEC_MAX_SYMBOLS)
		return FEC_EARG;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return FEC_ENOMEM;
	f->k = k;
	f->m = m;
	f->matrix = malloc((size_t)(k + m) * k);
	f->enc_tbls = malloc(32 * km1);
	f->short_tbls = malloc(32 * km1);
	f->sub = malloc(km1);
	f->dec_tbls = malloc(32 * km1);
	f->b = malloc(mm);
	f->binv = malloc(mm);
	f->in = calloc(k, sizeof(*f->in));
	f->outp = calloc(m ? m : 1, sizeof(*f->outp));
	f->miss = calloc(k, sizeof(*f->miss));
	f->rows = calloc(m ? m : 1, sizeof(*f->rows));
	if (f->matrix == NULL || f->enc_tbls == NULL || f->short_tbls == NULL ||
	    f->sub == NULL || f->dec_tbls == NULL || f->b == NULL || f->binv == NULL ||
	    f->in == NULL || f->outp == NULL || f->miss == NULL || f->rows == NULL) {
		fec_free(f);
		return FEC_ENOMEM;
	}
	gf_gen_cauchy1_matrix(f->matrix, (int)(k + m), (int)k);
	if (m > 0)
		ec_init_tables((int)k, (int)m, f->matrix + (size_t)k * k, f->enc_tbls);
	*out = f;
	return FEC_OK;
}

/* Coefficient of data column j in parity row p. */
static uint8_t
coef(const struct fec *f, unsigned p, unsigned j)
{
	return f->matrix[(size_t)(f->k + p) * f->k + j];
}

int
fec_encode(struct fec *f, unsigned kb, uint8_t *const *data, uint8_t *const *parity,
	   size_t len)
{
	unsigned p, j;

	if (kb < 1 || kb > f->k || len < 1 || len > (size_t)INT32_MAX)
		return FEC_EARG;
	if (f->m == 0)
		return FEC_OK;
	if (kb == f->k) {
		ec_encode_data((int)len, (int)kb, (int)f->m, f->enc_tbls,
		    (unsigned char **)data, (unsigned char **)parity);
		return FEC_OK;
	}
	if (f->short_kb != kb) {
		for (p = 0; p < f->m; p++)
			for (j = 0; j < kb; j++)
				f->sub[(size_t)p * kb + j] = coef(f, p, j);
		ec_init_tables((int)kb, (int)f->m, f->sub, f->short_tbls);
		f->short_kb = kb;
	}
	ec_encode_data((int)len, (int)kb, (int)f->m, f->short_tbls,
	    (unsigned char **)data, (unsigned char **)parity);
	return FEC_OK;
}

int
fec_decode(struct fec *f, unsigned kb, uint8_t *const *data, const uint8_t *data_ok,
	   uint8_t *const *parity, const uint8_t *parity_ok, size_t len,
	   unsigned *repaired)
{
	unsigned e = 0, np = 0, i, j, r, c, nin;

	*repaired = 0;
	if (kb < 1 || kb > f->k || len < 1 || len > (size_t)INT32_MAX)
		return FEC_EARG;
	for (i = 0; i < kb; i++)
		if (!data_ok[i])
			f->miss[e++] = i;
	if (e == 0)
		return FEC_OK;
	for (i = 0; i < f->m && np < e; i++)
		if (parity_ok[i])
			f->rows[np++] = i;
	if (np < e)
		return FEC_ETOOFEW;

	/* B = the chosen parity rows over the missing columns; invert it. */
	for (r = 0; r < e; r++)
		for (c = 0; c < e; c++)
			f->b[r * e + c] = coef(f, f->rows[r], f->miss[c]);
	if (gf_invert_matrix(f->b, f->binv, (int)e) != 0)
		return FEC_ESINGULAR;

	/*
	 * Missing D = Binv (P + A_known D_known): one row per missing symbol, with a
	 * coefficient per known data symbol and per chosen parity symbol, kb in all.
	 */
	nin = 0;
	for (j = 0; j < kb; j++) {
		if (!data_ok[j])
			continue;
		for (c = 0; c < e; c++) {
			uint8_t s = 0;

			for (r = 0; r < e; r++)
				s ^= gf_mul(f->binv[c * e + r], coef(f, f->rows[r], j));
			f->sub[(size_t)c * kb + nin] = s;
		}
		f->in[nin++] = data[j];
	}
	for (r = 0; r < e; r++) {
		for (c = 0; c < e; c++)
			f->sub[(size_t)c * kb + nin] = f->binv[c * e + r];
		f->in[nin++] = parity[f->rows[r]];
	}
	for (c = 0; c < e; c++)
		f->outp[c] = data[f->miss[c]];
	ec_init_tables((int)kb, (int)e, f->sub, f->dec_tbls);
	ec_encode_data((int)len, (int)kb, (int)e, f->dec_tbls,
	    (unsigned char **)f->in, f->outp);
	*repaired = e;
	return FEC_OK;
}
