"""Text from files, servers and paths made safe to print on one line.

A file name, a model file's metadata or a server's reason phrase can hold line breaks,
terminal escape sequences or bidirectional overrides: in a message they would break its
one line, act on the terminal, or disguise a name. Everything str.isprintable() refuses is
written as its Python escape instead (\\n, \\x1b, \\u202e), so it is shown, not acted on.
"""

from __future__ import annotations


def printable(text: object) -> str:
    """str(text) with every character a terminal would act on written as its Python escape."""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
