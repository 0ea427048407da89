// The citizen form's pure schema logic under `node --test`: options whose quota is
// used up disappear, at the top level and inside groups, and nothing else does.
import test from 'node:test';
import assert from 'node:assert/strict';
import { dropFullOptions } from '../../web/citizen/assets/js/quota.js';

const fields = () => [
  { name: 'consultation', type: 'select', options: [
    { value: 'none', label: '予約しない' },
    { value: 'd1', label: '12月1日', quota: 10 },
    { value: 'd2', label: '12月2日', quota: 10 }] },
  { name: 'children', type: 'group', fields: [
    { name: 'slot', type: 'radio', options: [{ value: 'd1', label: 'A' }, { value: 'd2', label: 'B' }] }] },
  { name: 'name', type: 'text' },
];

test('a full option disappears from its own field only', () => {
  const f = fields();
  dropFullOptions(f, [{ path: 'consultation', value: 'd1' }]);
  assert.deepEqual(f[0].options.map((o) => o.value), ['none', 'd2']);
  assert.deepEqual(f[1].fields[0].options.map((o) => o.value), ['d1', 'd2']);
});

test('a full option inside a group is found by its schema path', () => {
  const f = fields();
  dropFullOptions(f, [{ path: 'children.slot', value: 'd2' }, { path: 'slot', value: 'd1' }]);
  assert.deepEqual(f[1].fields[0].options.map((o) => o.value), ['d1']);
  assert.deepEqual(f[0].options.map((o) => o.value), ['none', 'd1', 'd2']);
});

test('no full options changes nothing', () => {
  const f = fields();
  dropFullOptions(f, []);
  assert.deepEqual(f, fields());
});
