/*
 * fec.h — Reed-Solomon erasure coding of one block of symbols, over Intel ISA-L.
 *
 * A block has kb <= k data symbols and m parity symbols, all of one length. The
 * code is systematic and MDS: any kb of the kb + m symbols give back the data. The
 * encoding matrix is ISA-L's Cauchy matrix (gf_gen_cauchy1_matrix) for k data
 * columns; a shortened block (the last of an object) uses its first kb columns,
 * still a Cauchy matrix, so every square submatrix stays invertible. The generic
 * Vandermonde-like gf_gen_rs_matrix is not used: some of its submatrices are
 * singular, which would make some loss patterns undecodable.
 *
 * A struct fec caches tables and scratch space: use one per thread.
 */
#ifndef SEKISHO_BRIDGE_FEC_H
#define SEKISHO_BRIDGE_FEC_H

#include <stddef.h>
#include <stdint.h>

#define FEC_MAX_SYMBOLS 256	/* k + m: field elements of GF(2^8) */
#define FEC_DEFAULT_K   64
#define FEC_DEFAULT_M   16	/* 25% overhead: survives 16 losses in 80 */

enum {
	FEC_OK = 0,
	FEC_EARG = -1,		/* k, m, kb or a length out of range */
	FEC_ENOMEM = -2,
	FEC_ETOOFEW = -3,	/* fewer than kb symbols: block not recoverable yet */
	FEC_ESINGULAR = -4,	/* matrix inversion failed (cannot happen with Cauchy) */
};

const char *fec_strerror(int rc);

struct fec;

/* A code with k data and m parity symbols per full block: 1 <= k, k + m <=
 * FEC_MAX_SYMBOLS (m may be 0). FEC_OK, FEC_EARG or FEC_ENOMEM. */
int fec_new(struct fec **out, unsigned k, unsigned m);
void fec_free(struct fec *f);

/* Parity of one block: data[0..kb-1] in, parity[0..m-1] out, len bytes each. */
int fec_encode(struct fec *f, unsigned kb, uint8_t *const *data, uint8_t *const *parity,
	       size_t len);

/* Recover a block in place. data[i] is a buffer for data symbol i, holding it when
 * data_ok[i]; parity[p] holds parity symbol p when parity_ok[p]. Every missing data
 * symbol is reconstructed into its buffer. FEC_ETOOFEW when fewer than kb of the
 * kb + m symbols are present (nothing is written). *repaired gets the number of
 * data symbols rebuilt (0: nothing was missing). */
int fec_decode(struct fec *f, unsigned kb, uint8_t *const *data, const uint8_t *data_ok,
	       uint8_t *const *parity, const uint8_t *parity_ok, size_t len,
	       unsigned *repaired);

#endif
