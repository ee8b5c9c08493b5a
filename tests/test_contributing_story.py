"""docs/contributing.md's story, replayed for real: three git identities (repository configuration and
environment), every command run, every output compared; then the pull requests people could make by hand
instead, which check-roles must reject."""

from __future__ import annotations

import os

import pytest
from conftest import PROJECT
from gitrepo import git
from transcript import normalize, run, steps

from generator.policy import Options, check_roles

STORY = "## The whole story"


@pytest.fixture
def story(tmp_path):
    """The repository at the end of the story, and the environment it ran in."""
    root = tmp_path / "portail"
    root.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and k != "EMAIL"}
    env |= {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "PORTAL_NOW": "2024-06-01T12:00:00+02:00"}
    document = (PROJECT / "docs" / "contributing.md").read_text(encoding="utf-8")
    found = steps(document, STORY)
    assert len(found) > 60 and sum(s.command.startswith("portal ") for s in found) > 35
    for step in found:
        code, output = run(step, root, env)
        where = f"docs/contributing.md:{step.line}: $ {step.command}"
        assert normalize(output, root) == normalize("\n".join(step.expected), root), where
        refused = bool(step.expected) and step.expected[0].startswith("portal:")
        violations = any("violation(s)" in line for line in step.expected)
        assert (code != 0) == (
            refused or violations or step.command == "portal whoami" and "not registered" in output
        ), (
            where,
            code,
        )
    return root, env


def test_the_documented_story_replays(story) -> None:
    root, _ = story
    assert git(root, "status", "--porcelain") == ""
    authors = set(git(root, "log", "--format=%ae").splitlines())
    assert authors == {"marie@example.org", "lucas@example.org", "zoe@example.org"}
    # every pull request of the story, judged again from the first commit: all allowed
    first = git(root, "rev-list", "--max-parents=0", "HEAD")
    assert check_roles(root, first, "HEAD", Options()).ok


HAND_MADE = [
    # (who, what they change by hand, the rule check-roles names)
    (
        "zoe",
        ("content/organizations/ville-de-test/organization.yaml", "  - user: zoe\n    role: admin\n"),
        "org-members",
    ),
    ("zoe", ("content/users/lucas.yaml", "about: Zoé écrit ici\n"), "user-edit"),
    ("lucas", ("content/site.yaml", "description: Le portail de Lucas\n"), "maintainers"),
    (
        "zoe",
        ("content/organizations/metropole-de-test/organization.yaml", "url: https://zoe.example.org/\n"),
        "org-profile",
    ),
    ("lucas", ("content/organizations/ville-de-test/requests/zoe.yaml", "status: accepted\n"), "request-handle"),
]


@pytest.mark.parametrize(("who", "change", "rule"), HAND_MADE, ids=[c[2] for c in HAND_MADE])
def test_hand_made_pull_requests_are_rejected(story, who, change, rule) -> None:
    root, env = story
    base = git(root, "rev-parse", "HEAD")
    path, text = change
    with open(root / path, "a", encoding="utf-8") as out:
        out.write(text)
    email = f"{who}@example.org"
    git(root, "commit", "-q", "-a", "-m", "by hand", env={"GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_NAME": who})
    report = check_roles(root, base, "HEAD", Options())
    assert rule in {v.rule for v in report.violations}, [v.as_text() for v in report.violations]
