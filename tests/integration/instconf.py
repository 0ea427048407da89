"""Settings of an instance's etc/*.conf, as `sekishoctl init` wrote them."""
import re


def set_conf(path, **values):
    """Give each existing `key = value` line its new value; a key the file does not
    have is a mistake in the test, not a setting to add."""
    text = path.read_text()
    for k, v in values.items():
        text, n = re.subn(rf"^{k} = .*$", f"{k} = {v}", text, flags=re.M)
        assert n == 1, k
    path.write_text(text)
