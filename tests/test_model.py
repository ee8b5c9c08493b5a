"""The content model's small rules that other stages rely on."""

from __future__ import annotations

import pytest

from generator.model import email_key


@pytest.mark.parametrize(
    ("one", "other", "same"),
    [
        ("Paul@Example.ORG", "paul@example.org", True),
        (" paul@example.org\n", "paul@example.org", True),
        ("strauß@example.org", "strauss@example.org", False),  # two mailboxes, whatever casefold says
        ("İlker@example.org", "i̇lker@example.org", False),  # Unicode case is not folded either
    ],
)
def test_email_identity(one: str, other: str, same: bool) -> None:
    assert (email_key(one) == email_key(other)) is same
