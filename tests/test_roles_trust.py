"""Issue 16: check-roles judges the net change on the target branch, with the target's rights.

Every attack that passed the old semantics ("rights come from each commit's parent", "merges are judged only
on paths that differ from every parent", "root commits are judged against an empty portal") on a real
repository, each checked in the two forms CI uses:

* GitHub's: ``--base`` the target branch, ``--head`` its test merge of the pull request (``HEAD^1`` is base);
* GitLab's: ``--base`` the target branch as fetched, ``--head`` the pull request's last commit, which need not
  contain base (the checker judges git's merge of it into base).

And the legitimate flows that must stay allowed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from gitrepo import DATASET, EMAILS, ENV, ORG, ORG_FILE, OTHER, GitRepo, git, keygen, member, needs_ssh

from generator.cli import main
from generator.policy import GitError, Report


@pytest.fixture
def repo(tmp_path) -> GitRepo:
    return GitRepo(tmp_path / "repo")


# ------------------------------------------------------------------------------------------------ helpers


def rev(repo: GitRepo, what: str = "HEAD") -> str:
    return git(repo.root, "rev-parse", what)


def branch(repo: GitRepo, name: str, start: str) -> None:
    git(repo.root, "checkout", "-q", "-B", name, start)


def github_test_merge(repo: GitRepo, target: str, pr_head: str) -> str:
    """What GitHub checks out on a pull request: a merge of the head into the target, made by GitHub."""
    git(repo.root, "checkout", "-q", "--detach", target)
    identity = ["-c", "user.email=noreply@github.com", "-c", "user.name=GitHub"]
    git(repo.root, *identity, "merge", "-q", "--no-ff", "--no-edit", pr_head)
    merge = rev(repo)
    git(repo.root, "checkout", "-q", "main")
    return merge


def both_forms(repo: GitRepo, pr_head: str, **options) -> tuple[Report, Report]:
    """(GitHub form, GitLab form) of the check of a pull request whose last commit is ``pr_head``."""
    target = rev(repo, "main")
    github = repo.check(base=target, head=github_test_merge(repo, target, pr_head), **options)
    gitlab = repo.check(base=target, head=pr_head, **options)
    return github, gitlab


def hand_merge(repo: GitRepo, who: str, parents: list[str], take: dict[str, str | None]) -> str:
    """A merge commit made with plumbing: the first parent's tree, with each path of ``take`` taken from the
    commit it names (None: deleted). What an attacker builds with ``git commit-tree``."""
    index = repo.root / ".git" / "hand-index"
    env = {"GIT_INDEX_FILE": str(index)}
    git(repo.root, "read-tree", parents[0], env=env)
    for path, source in take.items():
        if source is None:
            git(repo.root, "update-index", "--force-remove", path, env=env)
        else:
            oid = git(repo.root, "rev-parse", f"{source}:{path}")
            git(repo.root, "update-index", "--add", "--cacheinfo", f"100644,{oid},{path}", env=env)
    tree = git(repo.root, "write-tree", env=env)
    index.unlink()
    email = EMAILS.get(who, who)
    author = {
        "GIT_AUTHOR_NAME": who,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": who,
        "GIT_COMMITTER_EMAIL": email,
    }
    args = ["commit-tree", tree, "-m", "Merge"]
    for parent in parents:
        args += ["-p", parent]
    return git(repo.root, *args, env=author)


def violations(report: Report) -> list[tuple[str, str, str | None]]:
    return [(v.commit, v.rule, v.file) for v in report.violations]


def set_role(user: str, role: str):
    def change(data):
        next(m for m in data["members"] if m["user"] == user)["role"] = role

    return change


# ------------------------------------------------------------------------ 1. merges that take an old version


def test_a_merge_that_restores_an_old_organization_file_is_its_authors_change(repo: GitRepo) -> None:
    repo.edit(ORG_FILE, set_role("paul", "admin"))
    promoted = repo.commit("jeanne", "paul admin for a while")
    repo.edit(ORG_FILE, set_role("paul", "editor"))
    repo.commit("jeanne", "paul editor again")
    branch(repo, "pr", "main")
    repo.edit(DATASET, lambda d: d.update(title="Innocent"))
    innocent = repo.commit("paul")
    merge = hand_merge(repo, "paul", [innocent, promoted], {ORG_FILE: promoted})
    for report in both_forms(repo, merge):
        assert violations(report) == [(merge, "org-members", ORG_FILE)]
        assert "paul" in report.violations[0].message and report.violations[0].author == "paul"


def test_a_merge_with_the_root_commit_cannot_delete_an_organization_or_users(repo: GitRepo) -> None:
    root = repo.base
    repo.write(f"{OTHER}/organization.yaml", {"name": "Autre", "members": [member("lucas", "admin")]})
    repo.write("content/users/zoe.yaml", {"name": "Zoé", "emails": ["zoe@example.org"]})
    repo.write("content/users/yann.yaml", {"name": "Yann", "emails": ["yann@example.org"]})
    repo.commit("marie", "autre, zoe, yann")
    branch(repo, "pr", "main")
    repo.edit(DATASET, lambda d: d.update(title="Innocent"))
    innocent = repo.commit("paul")
    gone = {f"{OTHER}/organization.yaml": None, "content/users/zoe.yaml": None, "content/users/yann.yaml": None}
    merge = hand_merge(repo, "paul", [innocent, root], gone)
    for report in both_forms(repo, merge):
        assert sorted(violations(report)) == sorted(
            [
                (merge, "org-delete", f"{OTHER}/organization.yaml"),
                (merge, "user-edit", "content/users/zoe.yaml"),
                (merge, "user-edit", "content/users/yann.yaml"),
            ]
        )


def test_a_merge_is_checked_for_actor_and_signature_when_it_brings_something(repo: GitRepo) -> None:
    repo.edit(ORG_FILE, set_role("paul", "admin"))
    promoted = repo.commit("jeanne")
    repo.edit(ORG_FILE, set_role("paul", "editor"))
    repo.commit("jeanne")
    branch(repo, "pr", "main")
    repo.edit(DATASET, lambda d: d.update(title="Innocent"))
    innocent = repo.commit("paul")
    merge = hand_merge(repo, "jeanne", [innocent, promoted], {ORG_FILE: promoted})  # jeanne's name, paul's push
    report = repo.check(base=rev(repo, "main"), head=merge, actor="paul")
    assert (merge, "actor", None) in violations(report)


# ------------------------------------------------------------------------------------------ 2. stale rights


def test_a_member_removed_on_the_target_has_no_rights_on_an_old_branch(repo: GitRepo) -> None:
    repo.edit(ORG_FILE, lambda d: d["members"].append(member("lucas", "admin")))
    fork = repo.commit("jeanne", "lucas admin")
    repo.edit(ORG_FILE, lambda d: d.update(members=[m for m in d["members"] if m["user"] != "lucas"]))
    repo.commit("jeanne", "lucas leaves")
    branch(repo, "pr", fork)
    repo.write(f"{ORG}/datasets/nouveau.yaml", {"title": "Nouveau"})
    repo.write(f"{ORG}/harvesters/autre.yaml", {"backend": "ckan", "url": "https://x.example.org"})
    stale = repo.commit("lucas")
    for report in both_forms(repo, stale):
        assert violations(report) == [
            (stale, "org-content", f"{ORG}/datasets/nouveau.yaml"),
            (stale, "harvester", f"{ORG}/harvesters/autre.yaml"),
        ]
        assert report.violations[0].held == "registered user, no role in ville-exemple"
    # judged against the fork point instead, as an old merge-base check would, it passed
    assert repo.check(base=fork, head=stale).ok


@needs_ssh
def test_a_key_removed_on_the_target_signs_nothing(repo: GitRepo, tmp_path) -> None:
    key, public = keygen(tmp_path, "jeanne")
    repo.edit("content/users/jeanne.yaml", lambda d: d.update(signing_keys=[public]))
    fork = repo.commit("jeanne", "key")
    repo.edit("content/users/jeanne.yaml", lambda d: d.update(signing_keys=[]))
    repo.commit("jeanne", "key stolen: removed")
    branch(repo, "pr", fork)
    repo.edit(ORG_FILE, lambda d: d.update(description="Signé avec la clé volée"))
    signed = repo.commit("jeanne", key=key)
    for report in both_forms(repo, signed, require_signatures=True):
        assert (signed, "signature", None) in violations(report)
    assert repo.check(base=fork, head=signed, require_signatures=True).ok  # the old semantics' verdict


def test_creating_an_organization_that_exists_on_the_target_is_an_edit_of_it(repo: GitRepo) -> None:
    fork = repo.base
    repo.write(f"{OTHER}/organization.yaml", {"name": "Autre", "members": [member("lucas", "admin")]})
    repo.commit("marie", "autre")
    branch(repo, "pr", fork)
    repo.write(f"{OTHER}/organization.yaml", {"name": "Autre", "members": [member("paul", "admin")]})
    created = repo.commit("paul", "create autre, which did not exist at the fork")
    # git cannot merge the two creations: the attacker resolves the conflict by hand, keeping theirs
    merge = hand_merge(repo, "paul", [created, rev(repo, "main")], {})
    for report in both_forms(repo, merge):
        found = violations(report)
        assert (created, "org-members", f"{OTHER}/organization.yaml") in found
        assert (merge, "org-members", f"{OTHER}/organization.yaml") in found
        assert all(commit in (created, merge) for commit, _, _ in found)


# ------------------------------------------------------------------------------------ 3. unrelated histories


@needs_ssh
def test_a_root_commit_cannot_register_a_maintainers_username(repo: GitRepo, tmp_path) -> None:
    key, public = keygen(tmp_path, "mallory")
    git(repo.root, "checkout", "-q", "--orphan", "unrelated")
    git(repo.root, "rm", "-r", "-q", "--cached", ".")
    shutil.rmtree(repo.root / "content")
    repo.write("content/users/marie.yaml", {"name": "Marie", "emails": ["mallory@evil.test"], "signing_keys": [public]})
    root = repo.commit("mallory@evil.test", key=key)
    branch(repo, "pr", "main")
    subprocess.run(
        ["git", "-c", "user.email=mallory@evil.test", "merge", "-q", "--allow-unrelated-histories", "unrelated"],
        cwd=repo.root,
        env=ENV,
        capture_output=True,
        check=False,
    )  # conflicts: the attacker keeps their users/marie.yaml
    git(repo.root, "checkout", "-q", "--theirs", "content/users/marie.yaml")
    merge = repo.commit("mallory@evil.test", key=key)
    repo.edit("content/site.yaml", lambda d: d.update(title="Pris"))
    takeover = repo.commit("mallory@evil.test", key=key)
    for report in both_forms(repo, takeover, require_signatures=True):
        found = {(commit, rule) for commit, rule, _ in violations(report)}
        assert (root, "user-edit") in found  # marie exists on the target: an edit of her file, not a registration
        assert (merge, "user-edit") in found
        assert (takeover, "maintainers") in found
        assert (takeover, "signature") in found


def test_a_head_with_no_common_history_cannot_be_checked(repo: GitRepo) -> None:
    git(repo.root, "checkout", "-q", "--orphan", "unrelated")
    repo.write("content/site.yaml", {"title": "Autre"})
    head = repo.commit("marie")
    with pytest.raises(GitError, match="shares no history") as raised:
        repo.check(base=rev(repo, "main"), head=head)
    assert raised.value.exit_code == 2


def test_a_head_that_does_not_merge_cleanly_cannot_be_checked(repo: GitRepo) -> None:
    branch(repo, "pr", "main")
    repo.edit(DATASET, lambda d: d.update(title="Branche"))
    head = repo.commit("paul")
    branch(repo, "main", repo.base)
    repo.edit(DATASET, lambda d: d.update(title="Cible"))
    repo.commit("jeanne")
    with pytest.raises(GitError, match="does not merge cleanly.*arrets-de-bus"):
        repo.check(base="main", head=head)


# ------------------------------------------------------------------------------------ 4. folders are not files


def test_a_folder_named_like_a_harvester_is_not_a_harvester(repo: GitRepo) -> None:
    repo.write(f"{ORG}/harvesters/x.yaml/jobs/j.yaml", {"started": "2024-06-01T00:00:00Z"})
    repo.commit("robot", "job log")
    planted = f"{ORG}/datasets/plante.yaml"
    repo.write(planted, {"title": "Planté", "harvest": {"source": "x", "remote_id": "1"}})
    bot = repo.commit("robot", "harvest")
    assert violations(repo.check()) == [(bot, "org-content", planted)]
    # a dataset from the real harvester of the organization (a file) is the bot's to write
    start = rev(repo)
    repo.write(f"{ORG}/datasets/moissonne.yaml", {"title": "Moissonné", "harvest": {"source": "catalogue"}})
    repo.commit("robot", "harvest")
    assert repo.check(base=start).ok


# ------------------------------------------------------------------------------------------- 5. no crashes


def run_cli(repo: GitRepo, *args: str, env: dict | None = None):
    return CliRunner().invoke(main, ["check-roles", "--repo", str(repo.root), *args], env=env)


def test_a_path_that_is_not_utf8_gets_a_verdict(repo: GitRepo) -> None:
    folder = os.fsencode(repo.root / ORG) + b"/datasets/\xff\xfe"
    os.makedirs(folder)
    with open(folder + b"/x.yaml", "wb") as out:
        out.write(b"title: x\n")
    with open(os.fsencode(repo.root / "content") + b"/line\nbreak.yaml", "wb") as out:
        out.write(b"x: 1\n")
    repo.commit("lucas")
    result = run_cli(repo, "--base", repo.base)
    assert result.exit_code == 1, result.output
    assert "datasets/\\xff\\xfe/x.yaml" in result.output
    assert "line\nbreak.yaml" in result.output or "line\\nbreak.yaml" in result.output
    summary = repo.root.parent / "summary.md"
    result = run_cli(repo, "--base", repo.base, "--format", "github", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.exit_code == 1, result.output
    assert "\\xff\\xfe" in summary.read_text(encoding="utf-8")


def test_any_yaml_type_in_a_new_user_file_gets_a_verdict(repo: GitRepo) -> None:
    repo.write("content/users/zoe.yaml", "name: Zoé\nemails: [zoe@example.org]\nsigning_keys: 5\n")
    repo.commit("zoe@example.org")
    result = run_cli(repo, "--base", repo.base, "--require-signatures")
    assert result.exit_code == 1, result.output
    assert "signature" in result.output and "not signed" in result.output
    start = rev(repo)
    repo.write("content/users/yann.yaml", "name: Yann\nemails: 5\nsigning_keys: {a: [1]}\n")
    repo.write("content/users/ines.yaml", "- [ines@example.org]\n")
    repo.commit("yann@example.org")
    result = run_cli(repo, "--base", start, "--require-signatures", "--actor", "yann")
    assert result.exit_code == 1, result.output
    assert result.output.count("user-create") == 2 and "actor" in result.output


@pytest.mark.parametrize(
    "value", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "not a date", "2024-13-01", ""]
)
def test_any_trusted_time_gets_an_answer(repo: GitRepo, value: str) -> None:
    result = run_cli(repo, "--base", repo.base, "--trusted-time", value)
    assert result.exit_code == 2, result.output
    assert "--trusted-time" in result.output and "Traceback" not in result.output


# ------------------------------------------------------------------------------------ legitimate flows pass


def test_a_feature_branch_that_merges_the_target_midway(repo: GitRepo) -> None:
    branch(repo, "pr", "main")
    repo.edit(DATASET, lambda d: d.update(title="Première"))
    repo.commit("paul")
    branch(repo, "main", "main")
    repo.edit(ORG_FILE, lambda d: d.update(description="Changée sur main"))
    repo.commit("jeanne")
    git(repo.root, "checkout", "-q", "pr")
    git(repo.root, "-c", f"user.email={EMAILS['paul']}", "merge", "-q", "--no-edit", "main")
    repo.edit(DATASET, lambda d: d.update(description="Seconde"))
    head = repo.commit("paul")
    git(repo.root, "checkout", "-q", "main")
    repo.edit(ORG_FILE, lambda d: d.update(title="Main avance encore"))
    repo.commit("jeanne")
    for report in both_forms(repo, head):
        assert report.ok, [v.as_text() for v in report.violations]


def test_an_organization_created_then_given_a_dataset(repo: GitRepo) -> None:
    branch(repo, "pr", "main")
    repo.write(f"{OTHER}/organization.yaml", {"name": "Autre", "members": [member("lucas", "admin")]})
    repo.write(f"{OTHER}/datasets/premier.yaml", {"title": "Premier"})
    repo.commit("lucas", "create autre with a dataset")
    repo.write(f"{OTHER}/datasets/second.yaml", {"title": "Second"})
    head = repo.commit("lucas", "a second dataset")
    for report in both_forms(repo, head):
        assert report.ok, [v.as_text() for v in report.violations]


def test_an_editors_commit_and_its_partial_revert(repo: GitRepo) -> None:
    branch(repo, "pr", "main")
    repo.edit(DATASET, lambda d: d.update(title="Nouveau titre", description="Nouvelle description"))
    repo.commit("paul")
    repo.edit(DATASET, lambda d: d.update(title=repo.read(DATASET)["title"].replace("Nouveau titre", "Arrêts")))
    head = repo.commit("paul")
    for report in both_forms(repo, head):
        assert report.ok, [v.as_text() for v in report.violations]


def test_an_old_branch_of_an_editor_lands_as_a_rebase_would(repo: GitRepo) -> None:
    fork = repo.base
    repo.edit(DATASET, lambda d: d["resources"][0].update(filesize=54321))
    repo.commit("jeanne")
    branch(repo, "pr", fork)
    repo.edit(DATASET, lambda d: d.update(title="Titre de Paul"))
    head = repo.commit("paul")
    for report in both_forms(repo, head):
        assert report.ok, [v.as_text() for v in report.violations]


@needs_ssh
def test_a_commit_signed_by_a_currently_listed_key(repo: GitRepo, tmp_path) -> None:
    key, public = keygen(tmp_path, "jeanne")
    repo.edit("content/users/jeanne.yaml", lambda d: d.update(signing_keys=[public]))
    repo.commit("jeanne", "key")
    branch(repo, "pr", "main")
    repo.edit(ORG_FILE, lambda d: d.update(description="Signé"))
    head = repo.commit("jeanne", key=key)
    for report in both_forms(repo, head, require_signatures=True):
        assert report.ok, [v.as_text() for v in report.violations]


def test_reverting_a_forbidden_change_leaves_nothing_to_deny(repo: GitRepo) -> None:
    branch(repo, "pr", "main")
    repo.edit(ORG_FILE, set_role("paul", "admin"))
    mistake = repo.commit("paul")
    git(repo.root, "-c", f"user.email={EMAILS['paul']}", "revert", "--no-edit", mistake)
    report = repo.check(base=rev(repo, "main"), head="pr")
    assert report.ok
    # the mistake is listed, not counted; the revert changes nothing in the approved state, so it is not judged
    assert [(v.commit, v.rule, v.counted) for v in report.verdicts if not v.allowed] == [
        (mistake, "org-members", False)
    ]


def test_unreadable_input_never_ends_in_a_traceback(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["check-roles", "--repo", str(tmp_path), "--base", "HEAD"])
    assert result.exit_code == 2 and "not in a git repository" in result.output


HOSTILE = [
    "5",
    "[]",
    "{}",
    "null",
    "'x'",
    "[1, {a: [b]}]",
    "!!binary aGVsbG8=",
    "!!python/object:os.system x",
    "&a [*a]",
]
KEYS = {
    "content/site.yaml": ["maintainers", "bots", "languages"],
    "content/users/paul.yaml": ["emails", "signing_keys", "name"],
    ORG_FILE: ["members", "name"],
    f"{ORG}/requests/robot.yaml": ["user", "status", "role", "handled_by", "refusal_comment"],
    f"{ORG}/discussions/arret-manquant.yaml": ["messages", "closed", "closed_by", "subject"],
    DATASET: ["harvest", "title", "resources"],
    f"{ORG}/harvesters/catalogue.yaml": ["backend", "url"],
}


@pytest.mark.parametrize("path", list(KEYS))
def test_any_yaml_value_in_any_field_ends_in_a_verdict(repo: GitRepo, path: str) -> None:
    """Each field of each kind of file set to every hostile YAML value, by someone with no role and by a
    maintainer: the checker answers every time (a crash would be a traceback and exit 1, read as a verdict)."""
    original = repo.path(path).read_text()
    for value in HOSTILE:
        start = rev(repo)
        for key in KEYS[path]:
            repo.write(path, f"{original}\n{key}: {value}\n")
            repo.commit("lucas")
            repo.write(path, f"{key}: {value}\n")
            repo.commit("marie")
        repo.write(path, f"{value}\n")
        repo.commit("paul")
        report = repo.check(base=start)
        assert report.commits == 2 * len(KEYS[path]) + 1
        assert {v.file for v in report.verdicts} <= {path}
        repo.write(path, original)
        repo.commit("marie")


def test_a_second_author_header_does_not_change_who_is_judged(repo: GitRepo) -> None:
    """Tools disagree on which of two author headers counts (git log shows the last): neither does."""
    repo.edit(ORG_FILE, lambda d: d.update(description="Prise"))
    honest = repo.commit("lucas")
    raw = subprocess.run(["git", "cat-file", "commit", honest], cwd=repo.root, capture_output=True, check=True).stdout
    head, _, body = raw.partition(b"\n\n")
    lines = head.split(b"\n")
    at = next(i for i, line in enumerate(lines) if line.startswith(b"author "))
    lines.insert(at + 1, b"author Marie <marie@example.org> 1717243200 +0000")
    forged = (
        subprocess.run(
            ["git", "hash-object", "-t", "commit", "-w", "--literally", "--stdin"],
            cwd=repo.root,
            input=b"\n".join(lines) + b"\n\n" + body,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .strip()
    )
    assert git(repo.root, "log", "-1", "--format=%ae", forged) == EMAILS["marie"]  # a maintainer, for git log
    report = repo.check(head=forged)
    assert [(v.commit, v.author, v.rule) for v in report.violations] == [(forged, "<>", "org-profile")]
