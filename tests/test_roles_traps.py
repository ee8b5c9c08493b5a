"""The traps of issue 4: each one on a real repository, with real commits, keys and signatures."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import pytest
from gitrepo import DATASET, EMAILS, ORG, ORG_FILE, OTHER, GitRepo, denied, git, keygen, member, needs_ssh, rules_of

from generator.policy import GitError


@pytest.fixture
def repo(tmp_path) -> GitRepo:
    return GitRepo(tmp_path / "repo")


# rights come from the parent -------------------------------------------------------------------------


def test_self_promotion_in_one_commit_grants_nothing(repo: GitRepo) -> None:
    def promote(d):
        next(m for m in d["members"] if m["user"] == "paul")["role"] = "admin"
        d["description"] = "Paul décide"

    repo.edit(ORG_FILE, promote)
    repo.commit("paul")
    assert denied(repo.check()) == [("org-profile", ORG_FILE), ("org-members", ORG_FILE)]


def test_self_promotion_in_an_earlier_commit_of_the_pull_request_still_fails(repo: GitRepo) -> None:
    repo.edit(ORG_FILE, lambda d: d["members"].append(member("lucas", "admin")))
    promoted = repo.commit("lucas")
    repo.edit(ORG_FILE, lambda d: d.update(description="Lucas décide"))
    relied = repo.commit("lucas")
    report = repo.check()
    # the approved state never made lucas an admin, so the later commit that relied on it is reported too
    assert [(v.commit, v.rule) for v in report.violations] == [(promoted, "org-members"), (relied, "org-profile")]
    assert not report.ok


def test_an_admins_commit_enables_the_new_members_later_commits(repo: GitRepo) -> None:
    repo.edit(ORG_FILE, lambda d: d["members"].append(member("lucas")))
    repo.commit("jeanne")
    repo.edit(DATASET, lambda d: d.update(title="Par Lucas"))
    repo.commit("lucas")
    assert repo.check().ok


def test_author_email_is_matched_case_insensitively(repo: GitRepo) -> None:
    repo.edit(DATASET, lambda d: d.update(title="Majuscules"))
    repo.commit("PAUL@Example.ORG")
    report = repo.check(explain=None) if False else repo.check()
    assert report.ok and report.verdicts[0].author == "paul"


# identity ----------------------------------------------------------------------------------------------


def test_mailmap_changes_nothing(repo: GitRepo) -> None:
    repo.write(".mailmap", "Jeanne <jeanne@example.org> <mallory@example.org>\n")
    repo.commit("marie", "mailmap")
    start = git(repo.root, "rev-parse", "HEAD")
    git(repo.root, "config", "log.mailmap", "true")
    mailmap = "Jeanne <jeanne@example.org> <mallory@example.org>\nMarie <marie@example.org> <m@evil.org>\n"
    repo.write(".mailmap", mailmap)
    repo.edit(ORG_FILE, lambda d: d.update(description="Mallory"))
    repo.commit("mallory@example.org")
    report = repo.check(base=start)
    assert rules_of(report) == {"maintainers", "org-profile"}
    assert {(v.author, v.held) for v in report.violations} == {
        ("<mallory@example.org>", "unregistered (unknown author email)")
    }


def test_actor_must_author_every_commit(repo: GitRepo) -> None:
    repo.edit(DATASET, lambda d: d.update(title="Paul"))
    repo.commit("paul")
    repo.edit(DATASET, lambda d: d.update(title="Jeanne"))
    jeanne = repo.commit("jeanne")
    report = repo.check(actor="paul")
    assert [(v.commit, v.rule) for v in report.violations] == [(jeanne, "actor")]
    assert report.violations[0].needed == "the user paul"


def test_actor_self_registration(repo: GitRepo) -> None:
    repo.write("content/users/zoe.yaml", {"name": "Zoé", "emails": ["zoe@example.org"]})
    repo.commit("zoe@example.org")
    assert repo.check(actor="zoe").ok
    assert rules_of(repo.check(actor="lucas")) == {"actor"}


# signatures --------------------------------------------------------------------------------------------


@pytest.fixture
def keys(repo: GitRepo, tmp_path):
    """jeanne's key (registered), an expired key of jeanne's, and mallory's key (registered nowhere)."""
    jeanne, jeanne_pub = keygen(tmp_path, "jeanne")
    old, old_pub = keygen(tmp_path, "jeanne-old")
    mallory, _ = keygen(tmp_path, "mallory")
    expired = f'valid-before="20240101" {old_pub}'
    repo.edit("content/users/jeanne.yaml", lambda d: d.update(signing_keys=[jeanne_pub, expired]))
    repo.commit("jeanne", "keys")
    return {"jeanne": jeanne, "old": old, "mallory": mallory, "start": git(repo.root, "rev-parse", "HEAD")}


@needs_ssh
def test_signed_commit_by_a_registered_key_passes(repo: GitRepo, keys) -> None:
    repo.edit(ORG_FILE, lambda d: d.update(description="Signé"))
    repo.commit("jeanne", key=keys["jeanne"])
    report = repo.check(base=keys["start"], require_signatures=True)
    assert report.ok, [v.as_text() for v in report.violations]


@needs_ssh
def test_unsigned_commit_fails_when_signatures_are_required(repo: GitRepo, keys) -> None:
    repo.edit(ORG_FILE, lambda d: d.update(description="Pas signé"))
    repo.commit("jeanne")
    assert denied(repo.check(base=keys["start"], require_signatures=True)) == [("signature", None)]


@needs_ssh
def test_forged_author_email_fails_with_signatures_required(repo: GitRepo, keys) -> None:
    repo.edit(ORG_FILE, lambda d: d.update(description="Mallory se fait passer pour Jeanne"))
    forged = repo.commit(EMAILS["jeanne"], key=keys["mallory"])
    assert repo.check(base=keys["start"]).ok  # without signatures, an email is only a claim
    report = repo.check(base=keys["start"], require_signatures=True)
    assert [(v.commit, v.rule) for v in report.violations] == [(forged, "signature")]
    assert "does not verify" in report.violations[0].message


@needs_ssh
def test_key_added_in_the_pull_request_does_not_sign_it(repo: GitRepo, tmp_path) -> None:
    new, new_pub = keygen(tmp_path, "paul-new")
    repo.edit("content/users/paul.yaml", lambda d: d.update(signing_keys=[new_pub]))
    repo.commit("paul", key=new)
    assert rules_of(repo.check(require_signatures=True)) == {"signature"}


@needs_ssh
def test_backdated_commit_signed_with_an_expired_key_fails(repo: GitRepo, keys) -> None:
    backdated = {"GIT_AUTHOR_DATE": "2023-06-01T12:00:00+00:00", "GIT_COMMITTER_DATE": "2023-06-01T12:00:00+00:00"}
    repo.edit(ORG_FILE, lambda d: d.update(description="Antidaté"))
    repo.commit("jeanne", key=keys["old"], env=backdated)
    report = repo.check(base=keys["start"], require_signatures=True)
    assert rules_of(report) == {"signature"}
    assert "expired" in report.violations[0].message
    # the time is the checker's (or the platform's, passed explicitly), never the committer date
    past = dt.datetime(2023, 6, 1, tzinfo=dt.UTC)
    assert repo.check(base=keys["start"], require_signatures=True, trusted_time=past).ok


@needs_ssh
def test_gpg_is_not_accepted_yet(repo: GitRepo, keys) -> None:
    repo.edit(ORG_FILE, lambda d: d.update(description="x"))
    sha = repo.commit("jeanne")
    raw = git(repo.root, "cat-file", "commit", sha)
    fake = raw.replace("\n\n", "\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n -----END PGP SIGNATURE-----\n\n", 1)
    forged = subprocess.run(
        ["git", "hash-object", "-t", "commit", "-w", "--stdin"],
        cwd=repo.root,
        input=fake,
        text=True,
        capture_output=True,
        check=True,
    ).stdout.strip()
    report = repo.check(base=keys["start"], head=forged, require_signatures=True)
    assert "GPG" in report.violations[0].message


# fail closed -------------------------------------------------------------------------------------------


def test_shallow_clone_cannot_be_checked(repo: GitRepo, tmp_path) -> None:
    repo.edit(DATASET, lambda d: d.update(title="x"))
    repo.commit("paul")
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo.root}", str(shallow))
    with pytest.raises(GitError, match="fetch-depth: 0") as exc:
        GitRepo.check(_at(shallow, repo.base), base="HEAD~0")
    assert exc.value.exit_code == 2


def _at(root, base):
    clone = GitRepo.__new__(GitRepo)
    clone.root, clone.base = root, base
    return clone


def test_unknown_revisions_cannot_be_checked(repo: GitRepo) -> None:
    with pytest.raises(GitError, match="unknown revision"):
        repo.check(base="no-such-branch")
    with pytest.raises(GitError, match="not a revision"):
        repo.check(base="--output=/tmp/x")


# merges, roots, renames --------------------------------------------------------------------------------


def test_clean_merge_is_judged_by_its_commits_only(repo: GitRepo) -> None:
    git(repo.root, "checkout", "-q", "-b", "feature")
    repo.edit(DATASET, lambda d: d.update(title="Feature"))
    repo.commit("paul")
    git(repo.root, "checkout", "-q", "main")
    repo.edit(ORG_FILE, lambda d: d.update(description="Main"))
    repo.commit("jeanne")
    git(repo.root, "-c", f"user.email={EMAILS['lucas']}", "merge", "-q", "--no-edit", "feature")
    report = repo.check()
    assert report.ok and report.commits == 3


def test_evil_merge_is_judged_on_what_it_adds(repo: GitRepo) -> None:
    git(repo.root, "checkout", "-q", "-b", "feature")
    repo.edit(DATASET, lambda d: d.update(title="Feature"))
    repo.commit("paul")
    git(repo.root, "checkout", "-q", "main")
    repo.edit(ORG_FILE, lambda d: d.update(description="Main"))
    repo.commit("jeanne")
    git(repo.root, "-c", "user.email=paul@example.org", "merge", "-q", "--no-commit", "feature")
    repo.edit(ORG_FILE, lambda d: next(m for m in d["members"] if m["user"] == "paul").update(role="admin"))
    merge = repo.commit("paul", "Merge feature")
    report = repo.check()
    assert [(v.commit, v.rule, v.file) for v in report.violations] == [(merge, "org-members", ORG_FILE)]


def test_root_commit_is_judged_against_the_target_not_an_empty_portal(repo: GitRepo) -> None:
    """Before issue 16 a root commit was judged against an empty portal (anyone could register any username).
    Now its files are changes to the approved state like any other commit's: marie, a maintainer of base,
    may add a README; zoe may register herself; nothing else is granted."""
    git(repo.root, "checkout", "-q", "--orphan", "unrelated")
    git(repo.root, "rm", "-r", "-q", "--cached", ".")
    shutil.rmtree(repo.root / "content")
    repo.write("content/users/zoe.yaml", {"name": "Zoé", "emails": ["zoe@example.org"]})
    repo.commit("zoe@example.org")
    repo.write("content/README.md", "# Autre\n")
    repo.commit("marie")
    git(repo.root, "checkout", "-q", "-f", "main")
    git(repo.root, "-c", "user.email=marie@", "merge", "-q", "--allow-unrelated-histories", "-m", "m", "unrelated")
    report = repo.check()
    assert report.ok, [v.as_text() for v in report.violations]
    assert {(v.rule, v.allowed) for v in report.verdicts} == {("user-create", True), ("maintainers", True)}


@pytest.fixture
def two_orgs(repo: GitRepo) -> str:
    other = {"name": "Autre", "description": "x", "created": "2024-01-01", "members": [member("lucas", "admin")]}
    repo.write(f"{OTHER}/organization.yaml", other)
    return repo.commit("marie", "autre")


def test_rename_across_organizations_needs_rights_in_both(repo: GitRepo, two_orgs: str) -> None:
    moved = f"{OTHER}/datasets/arrets-de-bus.yaml"
    repo.move(DATASET, moved)
    repo.commit("paul")  # editor of ville-exemple only
    assert denied(repo.check(base=two_orgs)) == [("org-content", moved)]
    start = repo.commit("marie", "nothing")
    repo.move(moved, DATASET)
    repo.commit("lucas")  # admin of autre only
    assert denied(repo.check(base=start)) == [("org-content", DATASET)]
    start = repo.commit("marie", "nothing")
    repo.edit(ORG_FILE, lambda d: d["members"].append(member("lucas")))
    repo.commit("jeanne")
    repo.move(DATASET, moved)
    repo.commit("lucas")  # now in both
    assert repo.check(base=start).ok


# hostile content ---------------------------------------------------------------------------------------


def test_unparseable_files_are_judged_on_what_can_be_known(repo: GitRepo) -> None:
    discussion = f"{ORG}/discussions/arret-manquant.yaml"
    repo.write(discussion, repo.path(discussion).read_text() + "  - author: [unclosed\n")
    repo.write(DATASET, b"\x00\x01binary")
    repo.write(ORG_FILE, "members: {{{")
    repo.write("content/users/lucas.yaml", "\xff".encode("latin-1"))
    repo.commit("lucas")
    report = repo.check()
    assert denied(report) == [
        ("org-content", DATASET),
        ("discussion-history", discussion),
        ("org-profile", ORG_FILE),
    ]
    assert "does not parse" in report.violations[1].message


def test_a_replace_ref_cannot_swap_a_denied_commit_for_an_allowed_one(repo: GitRepo) -> None:
    from gitrepo import git

    repo.edit(ORG_FILE, lambda d: d["members"].append(member("lucas", "admin")))
    denied_commit = repo.commit("lucas", "self-promotion")
    # an innocent-looking commit with the same parent, then `git replace` to show it in place of the real one
    git(repo.root, "checkout", "-q", "-b", "decoy", repo.base)
    repo.edit(DATASET, lambda d: d.update(title="Anodin"))
    decoy = repo.commit("paul", "decoy")
    git(repo.root, "checkout", "-q", "main")
    git(repo.root, "replace", denied_commit, decoy)
    assert git(repo.root, "log", "-1", "--format=%ae", denied_commit) == "paul@example.org"  # git is fooled
    report = repo.check(head=denied_commit)
    assert [(v.commit, v.rule) for v in report.violations] == [(denied_commit, "org-members")]
