// quota.js — options whose quota (到達制限) is used up disappear from the form. Kept
// apart from the page code so that it runs under `node --test` too.

// Takes out of fields the options listed in the procedure's full_options
// ([{path: "group.field", value}], schema paths). The server refuses one sent anyway.
export function dropFullOptions(fields, full, prefix = '') {
  for (const f of fields) {
    const path = prefix + f.name;
    if (f.type === 'group') {
      dropFullOptions(f.fields, full, `${path}.`);
    } else if (Array.isArray(f.options)) {
      f.options = f.options.filter((o) => !full.some((x) => x.path === path && x.value === o.value));
    }
  }
}
