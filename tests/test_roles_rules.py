"""Every row of the role table, allowed and denied, on real git repositories with real commits."""

from __future__ import annotations

import pytest
from gitrepo import DATASET, ORG, GitRepo, denied, member, rules_of

from generator.policy import BY_ID, RULES

DISCUSSION = f"{ORG}/discussions/arret-manquant.yaml"
REQUEST = f"{ORG}/requests/lucas.yaml"
STAMP = "2024-06-02T10:00:00+00:00"


@pytest.fixture
def repo(tmp_path) -> GitRepo:
    return GitRepo(tmp_path / "repo")


def test_rule_ids_are_unique_and_documented() -> None:
    from conftest import PROJECT

    docs = (PROJECT / "docs" / "roles.md").read_text()
    assert len(BY_ID) == len(RULES)
    assert [r.id for r in RULES if f"`{r.id}`" not in docs] == []


def test_an_untouched_range_passes(repo: GitRepo) -> None:
    report = repo.check(head=repo.base)
    assert report.ok and report.commits == 0


# users -------------------------------------------------------------------------------------------------


def test_self_registration_allowed(repo: GitRepo) -> None:
    repo.write("content/users/zoe.yaml", {"name": "Zoé", "emails": ["Zoe@Example.org"]})
    repo.commit("zoe@example.org")
    assert repo.check().ok


def test_registering_someone_else_denied(repo: GitRepo) -> None:
    repo.write("content/users/zoe.yaml", {"name": "Zoé", "emails": ["zoe@example.org"]})
    repo.commit("mallory@example.org")
    assert denied(repo.check()) == [("user-create", "content/users/zoe.yaml")]


def test_unknown_email_may_do_nothing_else(repo: GitRepo) -> None:
    repo.write("content/users/zoe.yaml", {"name": "Zoé", "emails": ["zoe@example.org"]})
    repo.edit(DATASET, lambda d: d.update(title="Zoé was here"))
    repo.commit("zoe@example.org")
    report = repo.check()
    assert denied(report) == [("org-content", DATASET)]
    assert report.violations[0].held.startswith("unregistered")


def test_user_edits_own_file(repo: GitRepo) -> None:
    repo.edit("content/users/paul.yaml", lambda d: d.update(about="Bonjour"))
    repo.commit("paul")
    assert repo.check().ok


def test_user_may_not_edit_or_delete_another_user(repo: GitRepo) -> None:
    repo.edit("content/users/lucas.yaml", lambda d: d["emails"].append("paul2@example.org"))
    repo.delete("content/users/jeanne.yaml")
    repo.commit("paul")
    assert denied(repo.check()) == [
        ("user-edit", "content/users/jeanne.yaml"),
        ("user-edit", "content/users/lucas.yaml"),
    ]


def test_personal_content_belongs_to_its_user(repo: GitRepo) -> None:
    dataset = {"title": "Mes relevés", "description": "x", "license": "cc0-1.0", "created": "2024-01-01"}
    repo.write("content/users/lucas/datasets/releves.yaml", dataset)
    repo.commit("lucas")
    repo.edit("content/users/lucas/datasets/releves.yaml", lambda d: d.update(title="Volé"))
    repo.commit("paul")
    assert denied(repo.check()) == [("user-edit", "content/users/lucas/datasets/releves.yaml")]


def test_deleting_a_user_takes_their_folder(repo: GitRepo) -> None:
    repo.write("content/users/lucas/reuses/carte.yaml", {"title": "Carte"})
    repo.commit("lucas")
    repo.delete("content/users/lucas.yaml")
    repo.delete("content/users/lucas")
    repo.commit("lucas")
    assert repo.check().ok


# organizations ----------------------------------------------------------------------------------------


def _new_org(creator: str, admins: list[str]) -> dict:
    return {
        "name": "Nouvelle",
        "description": "x",
        "created": "2024-06-01",
        "members": [member(a, "admin") for a in admins] + ([member(creator)] if creator not in admins else []),
    }


def test_registered_user_creates_organization_as_admin(repo: GitRepo) -> None:
    repo.write("content/organizations/nouvelle/organization.yaml", _new_org("lucas", ["lucas"]))
    repo.write("content/organizations/nouvelle/datasets/premier.yaml", {"title": "Premier"})
    repo.commit("lucas")
    assert repo.check().ok


def test_creating_an_organization_without_being_its_admin_denied(repo: GitRepo) -> None:
    repo.write("content/organizations/nouvelle/organization.yaml", _new_org("lucas", ["paul"]))
    repo.commit("lucas")
    assert denied(repo.check()) == [("org-create", "content/organizations/nouvelle/organization.yaml")]


def test_unregistered_may_not_create_organization(repo: GitRepo) -> None:
    repo.write("content/organizations/nouvelle/organization.yaml", _new_org("zoe", ["zoe"]))
    repo.commit("zoe@example.org")
    assert rules_of(repo.check()) == {"org-create"}


def test_admin_edits_profile_editor_denied(repo: GitRepo) -> None:
    repo.edit(f"{ORG}/organization.yaml", lambda d: d.update(description="Par Jeanne"))
    repo.commit("jeanne")
    repo.edit(f"{ORG}/organization.yaml", lambda d: d.update(name="Par Paul"))
    repo.write(f"{ORG}/logo.png", b"\x89PNG\r\n\x1a\n\x00")
    repo.commit("paul")
    report = repo.check()
    assert denied(report) == [("org-profile", f"{ORG}/logo.png"), ("org-profile", f"{ORG}/organization.yaml")]
    v = report.violations[1]
    assert (v.held, v.needed, v.line) == ("editor of ville-exemple", "admin of ville-exemple", 1)


def test_admin_manages_members(repo: GitRepo) -> None:
    def change(d):
        d["members"].append(member("lucas"))
        next(m for m in d["members"] if m["user"] == "paul")["role"] = "admin"

    repo.edit(f"{ORG}/organization.yaml", change)
    repo.commit("jeanne")
    assert repo.check().ok


def test_editor_may_not_add_members(repo: GitRepo) -> None:
    repo.edit(f"{ORG}/organization.yaml", lambda d: d["members"].append(member("lucas")))
    repo.commit("paul")
    report = repo.check()
    assert denied(report) == [("org-members", f"{ORG}/organization.yaml")]
    assert (
        report.violations[0].line
        == repo.path(f"{ORG}/organization.yaml").read_text().splitlines().index("- user: lucas") + 1
    )


def test_member_may_leave_but_not_remove_others(repo: GitRepo) -> None:
    repo.edit(f"{ORG}/organization.yaml", lambda d: d.update(members=[m for m in d["members"] if m["user"] != "paul"]))
    repo.commit("paul")
    assert repo.check().ok
    start = repo.commit("paul", "nothing")
    repo.edit(f"{ORG}/organization.yaml", lambda d: d.update(members=d["members"][:1]))
    repo.commit("lucas")
    assert denied(repo.check(base=start)) == [("org-members", f"{ORG}/organization.yaml")]


def test_admin_deletes_organization_editor_denied(repo: GitRepo) -> None:
    files = sorted(p for p in repo.path(ORG).rglob("*") if p.is_file())
    repo.delete(ORG)
    repo.commit("paul")
    report = repo.check()
    assert rules_of(report) == {"org-delete"}
    assert len(report.violations) == len(files) == 7  # every file of the folder, each named
    subprocess_reset(repo, repo.base)
    repo.delete(ORG)
    repo.commit("jeanne")
    assert repo.check().ok


def test_editor_publishes_datasets_and_reuses(repo: GitRepo) -> None:
    repo.edit(DATASET, lambda d: d["resources"].append({"id": "abcd-1234", "title": "JSON", "url": "https://x.org/a"}))
    repo.write(f"{ORG}/datasets/nouveau.yaml", {"title": "Nouveau"})
    repo.delete(f"{ORG}/reuses/carte-des-arrets.yaml")
    repo.commit("paul")
    assert repo.check().ok


def test_non_member_may_not_touch_datasets(repo: GitRepo) -> None:
    repo.edit(DATASET, lambda d: d.update(title="Lucas"))
    repo.write(f"{ORG}/reuses/autre.yaml", {"title": "Autre"})
    repo.commit("lucas")
    report = repo.check()
    assert denied(report) == [("org-content", DATASET), ("org-content", f"{ORG}/reuses/autre.yaml")]
    assert report.violations[0].held == "registered user, no role in ville-exemple"
    assert report.violations[0].line == 1


def test_harvester_configuration_needs_admin(repo: GitRepo) -> None:
    harvester = f"{ORG}/harvesters/catalogue.yaml"
    repo.edit(harvester, lambda d: d.update(active=False))
    repo.commit("jeanne")
    repo.edit(harvester, lambda d: d.update(active=True, frequency="daily"))
    repo.commit("paul")
    assert denied(repo.check()) == [("harvester", harvester)]


def test_generated_state_is_for_bots_and_maintainers(repo: GitRepo) -> None:
    job = f"{ORG}/harvesters/catalogue/jobs/2024-06-01.yaml"
    repo.write(job, {"status": "done"})
    repo.write("content/metrics/2024-05.csv", "dataset,visits\n")
    repo.commit("robot")
    repo.write("content/links/report.yaml", {"ok": True})
    repo.commit("marie")
    repo.write("content/metrics/2024-06.csv", "dataset,visits\n")
    repo.commit("jeanne")
    assert denied(repo.check()) == [("generated", "content/metrics/2024-06.csv")]


def test_bots_only_write_generated_state(repo: GitRepo) -> None:
    repo.edit(DATASET, lambda d: d.update(title="Bot"))
    repo.commit("robot")
    report = repo.check()
    assert denied(report) == [("org-content", DATASET)] and report.violations[0].held == "bot"


def test_site_schemas_themes_ci_are_for_maintainers(repo: GitRepo) -> None:
    repo.edit("content/site.yaml", lambda d: d.update(title="Nouveau titre"))
    repo.write(".github/workflows/evil.yml", "on: push\n")
    repo.write("content/theme/base.html", "<html>")
    repo.write("content/stray.txt", "?")
    repo.commit("jeanne")
    assert denied(repo.check()) == [
        ("maintainers", ".github/workflows/evil.yml"),
        ("maintainers", "content/site.yaml"),
        ("maintainers", "content/stray.txt"),
        ("maintainers", "content/theme/base.html"),
    ]
    start = repo.commit("marie", "nothing")
    repo.edit("content/site.yaml", lambda d: d.update(title="Par la mainteneuse"))
    repo.write(".github/workflows/ci.yml", "on: pull_request\n")
    repo.commit("marie")
    report = repo.check(base=start)
    assert report.ok and {v.held for v in report.verdicts} == {"maintainer"}


# discussions -----------------------------------------------------------------------------------------


def _message(author: str, text: str = "Merci") -> dict:
    return {"author": author, "posted": STAMP, "content": text}


def test_any_registered_user_opens_and_posts_as_themself(repo: GitRepo) -> None:
    opened = {"subject": "arrets-de-bus", "title": "Question", "messages": [_message("lucas")]}
    repo.write(f"{ORG}/discussions/question.yaml", opened)
    repo.commit("lucas")
    repo.edit(DISCUSSION, lambda d: d["messages"].append(_message("lucas")))
    repo.commit("lucas")
    assert repo.check().ok


def test_posting_as_someone_else_denied(repo: GitRepo) -> None:
    repo.edit(DISCUSSION, lambda d: d["messages"].append(_message("jeanne", "Je valide")))
    repo.commit("lucas")
    report = repo.check()
    assert denied(report) == [("discussion-post", DISCUSSION)]
    assert report.violations[0].line == repo.path(DISCUSSION).read_text().splitlines().index("- author: jeanne") + 1


def test_unregistered_may_not_post(repo: GitRepo) -> None:
    repo.edit(DISCUSSION, lambda d: d["messages"].append(_message("zoe")))
    repo.commit("zoe@example.org")
    assert rules_of(repo.check()) == {"discussion-post"}


def test_existing_messages_are_never_edited_or_removed(repo: GitRepo) -> None:
    repo.edit(DISCUSSION, lambda d: d["messages"][0].update(content="Tout va bien"))
    repo.commit("paul")  # even by their own author
    repo.edit(DISCUSSION, lambda d: d.update(messages=[_message("jeanne")], title="Autre"))
    repo.commit("jeanne")
    repo.delete(DISCUSSION)
    repo.commit("jeanne")
    assert rules_of(repo.check()) == {"discussion-history"}
    assert len(repo.check().violations) == 4


def test_close_and_reopen(repo: GitRepo) -> None:
    repo.edit(DISCUSSION, lambda d: d.update(closed=STAMP, closed_by="paul"))  # the author (also an editor)
    repo.commit("paul")
    repo.edit(DISCUSSION, lambda d: d.pop("closed") and d.pop("closed_by") and None)
    repo.commit("jeanne")  # an admin of the owner
    repo.edit(DISCUSSION, lambda d: d.update(closed=STAMP, closed_by="lucas"))
    repo.commit("lucas")  # neither
    repo.edit(DISCUSSION, lambda d: d.update(closed_by="jeanne"))
    repo.commit("paul")  # closed_by someone else
    assert [v.rule for v in repo.check().violations] == ["discussion-close", "discussion-close"]


def test_discussion_author_may_close_without_a_role(repo: GitRepo) -> None:
    opened = {"subject": "arrets-de-bus", "title": "Question", "messages": [_message("lucas")]}
    repo.write(f"{ORG}/discussions/question.yaml", opened)
    repo.commit("lucas")
    repo.edit(f"{ORG}/discussions/question.yaml", lambda d: d.update(closed=STAMP, closed_by="lucas"))
    repo.commit("lucas")
    assert repo.check().ok


# membership requests ---------------------------------------------------------------------------------


def _request(user: str, **more: str) -> dict:
    return {"user": user, "comment": "Je voudrais publier.", "created": STAMP, "status": "pending", **more}


def test_request_for_themself_allowed(repo: GitRepo) -> None:
    repo.write(REQUEST, _request("lucas"))
    repo.commit("lucas")
    assert repo.check().ok


def test_request_for_someone_else_or_when_member_denied(repo: GitRepo) -> None:
    repo.write(REQUEST, _request("lucas"))
    repo.commit("jeanne")
    repo.write(f"{ORG}/requests/paul.yaml", _request("paul"))
    repo.commit("paul")
    assert denied(repo.check()) == [("request-create", REQUEST), ("request-create", f"{ORG}/requests/paul.yaml")]


def test_withdraw_own_pending_request(repo: GitRepo) -> None:
    repo.write(REQUEST, _request("lucas"))
    repo.commit("lucas")
    repo.delete(REQUEST)
    repo.commit("lucas")
    assert repo.check().ok


def test_withdrawing_another_users_request_denied(repo: GitRepo) -> None:
    repo.delete(f"{ORG}/requests/robot.yaml")
    repo.commit("jeanne")  # admins accept or refuse, they do not make a request vanish
    assert denied(repo.check()) == [("request-withdraw", f"{ORG}/requests/robot.yaml")]


def _with_request(repo: GitRepo) -> str:
    repo.write(REQUEST, _request("lucas"))
    return repo.commit("lucas")


def test_admin_accepts_by_adding_the_member_in_the_same_commit(repo: GitRepo) -> None:
    start = _with_request(repo)
    repo.edit(REQUEST, lambda d: d.update(status="accepted", role="editor", handled_by="jeanne", handled=STAMP))
    repo.edit(f"{ORG}/organization.yaml", lambda d: d["members"].append(member("lucas")))
    repo.commit("jeanne")
    assert repo.check(base=start).ok


def test_accepting_without_adding_the_member_denied(repo: GitRepo) -> None:
    start = _with_request(repo)
    repo.edit(REQUEST, lambda d: d.update(status="accepted", handled_by="jeanne", handled=STAMP))
    repo.commit("jeanne")
    repo.edit(f"{ORG}/organization.yaml", lambda d: d["members"].append(member("lucas")))
    repo.commit("jeanne")
    report = repo.check(base=start)
    assert denied(report) == [("request-handle", REQUEST)]
    assert "without adding lucas" in report.violations[0].message


def test_refusing_needs_admin_and_a_comment(repo: GitRepo) -> None:
    start = _with_request(repo)
    repo.edit(REQUEST, lambda d: d.update(status="refused", handled_by="jeanne", handled=STAMP))
    repo.commit("jeanne")
    assert denied(repo.check(base=start)) == [("request-handle", REQUEST)]
    repo.edit(REQUEST, lambda d: d.update(refusal_comment="Pas maintenant"))
    repo.commit("jeanne")  # the comment added later does not heal the first commit...
    assert len(repo.check(base=start).violations) == 1  # ...but the second is a request-handle by an admin
    subprocess_reset(repo, start)
    repo.edit(REQUEST, lambda d: d.update(status="refused", handled_by="paul", handled=STAMP, refusal_comment="Non"))
    repo.commit("paul")
    report = repo.check(base=start)
    assert denied(report) == [("request-handle", REQUEST)] and report.violations[0].held == "editor of ville-exemple"


def subprocess_reset(repo: GitRepo, rev: str) -> None:
    import subprocess

    subprocess.run(["git", "reset", "-q", "--hard", rev], cwd=repo.root, check=True)
