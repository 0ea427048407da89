/*
 * fee.h — a procedure's fee (手数料): what it costs, from the answers.
 *
 * A procedure may say that it costs money: fixed items (申請手数料 ¥300) and items
 * priced per unit of one answer (住民票の写し ¥300 × 通数). The portal shows the
 * items before the form and the total on the "check your answers" page, and the
 * office sees the same total beside the application; payment itself is for a later
 * issue, which will read the same total. One C function computes it for both zones,
 * so the two can never disagree; the browser repeats it for display only.
 *
 * Format (docs/catalogue-format.md, member "fee"):
 *   {"items": [{"label": "住民票の写し", "amount": 300, "quantity_field": "copies"}],
 *    "note": "窓口でお支払いください。"}
 * quantity_field, when given, names a top-level integer number field; without it an
 * item counts once.
 */
#ifndef SEKISHO_FEE_H
#define SEKISHO_FEE_H

#include <jansson.h>
#include <stddef.h>

#define FEE_ITEMS_MAX   20
#define FEE_AMOUNT_MAX  1000000LL	/* yen per unit: larger is not a municipal fee */
#define FEE_QUANTITY_MAX 1000LL		/* units of one item counted at most */
#define FEE_LABEL_MAX   100		/* characters */
#define FEE_NOTE_MAX    1000

/* Check fee against the procedure's schema (NULL for info-only procedures, which may
 * only have fixed items). 0, or -1 with "member: why" in err. NULL fee is no fee. */
int fee_check(const json_t *fee, const json_t *schema, char *err, size_t errlen);

/* The fee of validated answers: {"items": [{"label", "amount", "quantity",
 * "subtotal"}], "total"} in yen, a new reference; NULL when fee is NULL. An item whose
 * quantity answer is absent counts zero. */
json_t *fee_compute(const json_t *fee, const json_t *answers);

#endif
