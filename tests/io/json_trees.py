"""JSON trees for the model-file property tests: arbitrary values, every place in a tree,
and a tree with one place replaced."""

from __future__ import annotations

import copy

from hypothesis import strategies as st

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


def all_paths(tree, prefix=()):
    """Every place in a JSON tree: tuples of keys and indices."""
    yield prefix
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from all_paths(value, (*prefix, key))
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            yield from all_paths(value, (*prefix, i))


def replaced(tree, path, value):
    """A copy of tree with the node at path (not the root) set to value."""
    tree = copy.deepcopy(tree)
    node = tree
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return tree
