// fee.js — a procedure's 手数料, added up as lib/fee.c does (the server's figure is
// the one the office sees; this one is for the citizen to read before sending).
// No imports, so that it runs under `node --test` too.

const QUANTITY_MAX = 1000;

// {items: [{label, amount, quantity, subtotal}], total} for answers (the body's
// answers: hidden fields already left out), or null when the procedure has no fee.
export function feeTotal(fee, answers) {
  if (!fee || !Array.isArray(fee.items)) return null;
  let total = 0;
  const items = fee.items.map((it) => {
    let quantity = 1;
    if (it.quantity_field) {
      const n = Number(answers ? answers[it.quantity_field] : undefined);
      quantity = Number.isInteger(n) && n > 0 ? Math.min(n, QUANTITY_MAX) : 0;
    }
    const subtotal = it.amount * quantity;
    total += subtotal;
    return { label: it.label, amount: it.amount, quantity, subtotal };
  });
  return { items, total };
}

// ¥ as Japanese offices write it: 1,100円.
export function yen(n) {
  return `${Number(n).toLocaleString('ja-JP')}円`;
}
