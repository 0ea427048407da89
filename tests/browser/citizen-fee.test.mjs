// The citizen pages' fee total under `node --test`: the same figures as lib/fee.c's
// test (tests/unit/test_fee.c) for the same fee and answers.
import test from 'node:test';
import assert from 'node:assert/strict';
import { feeTotal, yen } from '../../web/citizen/assets/js/fee.js';

const fee = { items: [{ label: '住民票の写し', amount: 300, quantity_field: 'copies' }, { label: '手数料', amount: 200 }] };

test('each item counts by its answer, a fixed item once', () => {
  const r = feeTotal(fee, { copies: 3 });
  assert.equal(r.total, 1100);
  assert.deepEqual(r.items.map((i) => [i.quantity, i.subtotal]), [[3, 900], [1, 200]]);
  assert.equal(feeTotal(fee, { copies: '2' }).total, 800, 'a number typed in the form');
});

test('an unanswered or impossible quantity counts zero; a huge one is capped', () => {
  assert.equal(feeTotal(fee, {}).total, 200);
  assert.equal(feeTotal(fee, { copies: -4 }).total, 200);
  assert.equal(feeTotal(fee, { copies: 1.5 }).total, 200);
  assert.equal(feeTotal(fee, { copies: 5000 }).total, 300 * 1000 + 200);
  assert.equal(feeTotal(fee, { copies: 1e12 }).total, 300 * 1000 + 200);
  assert.equal(feeTotal(null, { copies: 1 }), null);
});

test('yen as offices write it', () => {
  assert.equal(yen(1100), '1,100円');
  assert.equal(yen(0), '0円');
});
