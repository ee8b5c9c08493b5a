"""The loader's fast tag resolution gives PyYAML's tags, for every kind of plain scalar YAML 1.1 knows."""

from __future__ import annotations

import random

import yaml

from generator import load

KNOWN = [
    "", "~", "null", "Null", "NULL", "true", "True", "TRUE", "yes", "Yes", "no", "NO", "on", "off", "y", "n",
    "1", "01", "-0", "+1", "0x1f", "0o17", "0b101", "1_000", "1:20", "190:20:30.15", "1.0", "0.", "+.5", "1e3",
    "1.0e3", "1.0e+3", ".inf", "-.Inf", ".nan", "._", "2024-01-01", "2024-01-01T10:00:00+02:00",
    "2024-1-1 1:2:3", "<<", "=", "csv", "hello world", "Ünïcode",
]  # fmt: skip


def test_plain_scalars_resolve_as_pyyaml_resolves_them() -> None:
    reference = yaml.SafeLoader("")  # PyYAML's own resolver, in Python
    rng = random.Random(0)
    alphabet = "0123456789.:-+_eExXoObB~ntyfaluesTFNY<= "
    values = KNOWN + ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))) for _ in range(20_000)]
    for value in values + values:  # twice: the second time from the loader's memory
        assert load.resolve_plain(value) == reference.resolve(yaml.ScalarNode, value, (True, False)), value


def test_documents_compose_with_the_same_tags() -> None:
    text = "a: 1\nb: '1'\nc: [yes, 'no', 2024-01-01, ~, 1.5]\nd: !!str 3\ne: |\n  text\n"
    fast = yaml.compose(text, Loader=load._Loader)
    slow = yaml.compose(text, Loader=yaml.SafeLoader)

    def tags(node):
        if isinstance(node, yaml.ScalarNode):
            return (node.tag, node.value)
        if isinstance(node, yaml.SequenceNode):
            return (node.tag, [tags(n) for n in node.value])
        return (node.tag, [(tags(k), tags(v)) for k, v in node.value])

    assert tags(fast) == tags(slow)
