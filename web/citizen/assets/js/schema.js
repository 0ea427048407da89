// schema.js — reading a procedure's form schema against the citizen's answers:
// conditional display (show_if, as docs/form-schema.md defines it), answer paths and
// the element ids they map to, item-qualified labels, and the submission body.
import { checkField, checkGroup, empty, fold } from './validate.js';

// A scope is one level of the form: the form itself or one group item.
export function rootScope(schema, values) {
  return { fields: schema.fields, values, parent: null, group: null, path: '', label: '' };
}
export function itemScope(parent, group, items, i) {
  const item = items[i];
  return {
    fields: group.fields, values: item, parent, group,
    path: `${parent.path}${group.name}[${i}].`,
    label: `${parent.label}${group.label}（${i + 1}件目）の`,
  };
}

export const pathOf = (scope, f) => scope.path + f.name;

// "children[1].child_name" -> "f-children-1--child_name": ids of the element to focus.
export function pathId(path) {
  return 'f-' + path.replace(/\[(\d+)\]/g, '-$1').replace(/\./g, '--');
}

function lookup(name, scope) {
  for (let s = scope; s; s = s.parent) {
    const f = s.fields.find((x) => x.name === name);
    if (f) return { f, scope: s };
  }
  return null;
}

function matches(cond, f, v) {
  const norm = (x) => {
    if (x === undefined || x === null) return undefined;
    if (f.type === 'number') {
      const s = fold(String(x)).trim();
      return /^[+-]?\d+(\.\d+)?$/.test(s) ? Number(s) : undefined;
    }
    return typeof x === 'string' ? x.trim() : x;
  };
  const eq = (want) => {
    if (Array.isArray(v)) return v.includes(want);
    const got = norm(v);
    return got !== undefined && (f.type === 'number' ? got === Number(want) : got === want);
  };
  if ('checked' in cond) return Array.isArray(v) && v.includes(cond.checked);
  if ('in' in cond) return cond.in.some(eq);
  if ('equals' in cond) return eq(cond.equals);
  return false;
}

// Whether field f of scope is shown: its own condition, its target's, and the group
// it sits in (a hidden group hides everything in it).
export function shown(f, scope, depth = 0) {
  if (depth > 16) return false;
  if (scope.group && !shown(scope.group, scope.parent, depth + 1)) return false;
  const c = f.show_if;
  if (!c) return true;
  const t = lookup(c.field, scope);
  if (!t || !shown(t.f, t.scope, depth + 1)) return false;
  return matches(c, t.f, t.scope.values[c.field]);
}

// Every shown field's error as [{path, message}] in form order: what the browser
// can tell before the server does.
export function validate(scope, out = []) {
  for (const f of scope.fields) {
    if (!shown(f, scope)) continue;
    const path = pathOf(scope, f);
    const label = scope.label + f.label;
    if (f.type === 'group') {
      const items = scope.values[f.name] || [];
      const e = checkGroup(f, items, label);
      if (e) out.push({ path, message: e });
      items.forEach((_, i) => validate(itemScope(scope, f, items, i), out));
    } else {
      const e = checkField(f, scope.values[f.name], label);
      if (e) out.push({ path, message: e });
    }
  }
  return out;
}

// The body the server expects: shown and answered fields only; the form's own file
// fields under "uploads" as upload ids, file fields inside groups as answers.
export function submission(scope) {
  const answers = {}, uploads = {};
  for (const f of scope.fields) {
    if (f.type === 'heading' || !shown(f, scope)) continue;
    const v = scope.values[f.name];
    if (f.type === 'group') {
      const items = v || [];
      answers[f.name] = items.map((_, i) => submission(itemScope(scope, f, items, i)).answers);
    } else if (f.type === 'file') {
      const ids = (v || []).filter((u) => u.upload_id).map((u) => u.upload_id);
      if (ids.length === 0) continue;
      if (scope.parent) answers[f.name] = ids;
      else uploads[f.name] = ids;
    } else if (!empty(v)) {
      answers[f.name] = v;
    }
  }
  return { answers, uploads };
}

// Every shown file field's uploads, for the "still pending or refused" checks.
export function allUploads(scope, out = []) {
  for (const f of scope.fields) {
    if (!shown(f, scope)) continue;
    if (f.type === 'file') out.push(...(scope.values[f.name] || []));
    if (f.type === 'group') {
      const items = scope.values[f.name] || [];
      items.forEach((_, i) => allUploads(itemScope(scope, f, items, i), out));
    }
  }
  return out;
}

// A fresh item for a group, and initial values for a form: groups start with as
// many items as they need (at least one when required).
export function initialValues(fields) {
  const v = {};
  for (const f of fields) {
    if (f.type === 'group') {
      const n = Math.max(f.min_items || 0, f.required ? 1 : 0);
      v[f.name] = Array.from({ length: Math.min(n, f.max_items || 1) }, () => initialValues(f.fields));
    }
  }
  return v;
}
