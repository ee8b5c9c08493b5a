"""APIs (data services) as content: the model, the role rules on real git repositories, `portal can`."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import PROJECT
from gitrepo import ORG, GitRepo, denied
from test_contrib_roles import NOW, act, assert_good, clean, contrib_repo, head, read

from generator.cli import main
from generator.model import Portal
from generator.validate import validate

API = f"{ORG}/dataservices/api-arrets.yaml"
A_API = {
    "title": "API des arrêts",
    "description": "Les arrêts par API.",
    "base_api_url": "https://api.example.org/arrets/",
    "access_type": "open",
    "created": "2024-01-01",
    "datasets": ["arrets-de-bus"],
}


@pytest.fixture
def repo(tmp_path) -> GitRepo:
    return GitRepo(tmp_path / "repo")


def test_the_example_portal_has_apis_of_each_kind() -> None:
    """The issue's examples: one restricted with its request URL, one OpenAPI, one WMS, each serving datasets."""
    result = validate(PROJECT / "content")
    assert result.problems == []
    apis = Portal.from_entries(result.entries).dataservices
    restricted = [a for a in apis.values() if a.access_type == "restricted"]
    assert restricted and all(a.authorization_request_url.startswith("https://") for a in restricted)
    formats = {a.endpoint_description.format for a in apis.values() if a.endpoint_description}
    assert {"openapi", "wms"} <= formats
    served = Portal.from_entries(result.entries).datasets
    assert all(a.datasets and set(a.datasets) <= set(served) for a in apis.values())


def test_the_model_reads_every_field(portal: Path) -> None:
    folder = portal / "organizations" / "ville-exemple" / "dataservices"
    folder.mkdir(exist_ok=True)  # the minimal portal has an API of its own
    (folder / "api-arrets.yaml").write_text(
        "title: API\ndescription: d\nbase_api_url: https://a.example.org/\naccess_type: restricted\n"
        "authorization_request_url: https://a.example.org/demande\navailability: 99.9\n"
        "endpoint_description: {url: 'https://a.example.org/wms?REQUEST=GetCapabilities', format: wms}\n"
        "license: etalab-2.0\ndatasets: [arrets-de-bus]\ncreated: 2024-01-01\n"
    )
    result = validate(portal)
    assert result.problems == []
    api = Portal.from_entries(result.entries).dataservices["api-arrets"]
    assert api.owner == ("organization", "ville-exemple")
    assert api.path == "organizations/ville-exemple/dataservices/api-arrets.yaml"
    assert (api.endpoint_description.format, api.availability, api.datasets) == ("wms", 99.9, ["arrets-de-bus"])
    assert (api.changed, api.private, api.archived) == ("2024-01-01", False, False)


# roles: the same as a dataset's ------------------------------------------------------------------------


def test_an_editor_creates_edits_and_deletes_an_api(repo: GitRepo) -> None:
    repo.write(API, A_API)
    repo.commit("paul")
    repo.edit(API, lambda d: d.update(access_type="restricted"))
    repo.commit("paul")
    repo.delete(API)
    repo.commit("jeanne")
    assert repo.check().ok


def test_a_non_member_may_not_publish_an_api_for_an_organization(repo: GitRepo) -> None:
    repo.write(API, A_API)
    repo.commit("lucas")
    report = repo.check()
    assert denied(report) == [("org-content", API)]
    assert report.violations[0].held == "registered user, no role in ville-exemple"


def test_a_personal_api_belongs_to_its_user(repo: GitRepo) -> None:
    mine = "content/users/lucas/dataservices/mon-api.yaml"
    repo.write(mine, A_API)
    repo.commit("lucas")
    assert repo.check().ok
    repo.edit(mine, lambda d: d.update(title="Volée"))
    repo.commit("paul")
    assert denied(repo.check()) == [("user-edit", mine)]


@pytest.mark.parametrize(
    ("user", "code", "rule"),
    [("paul", 0, "org-content"), ("jeanne", 0, "org-content"), ("lucas", 1, "org-content")],
)
def test_can_answers_for_an_api(runner, repo: GitRepo, user: str, code: int, rule: str) -> None:
    target = API.removeprefix("content/")
    result = runner.invoke(main, ["can", user, "create", target, "--content", str(repo.root / "content")])
    assert result.exit_code == code, result.output
    assert f": {rule}: " in result.output


# contributor commands ----------------------------------------------------------------------------------


@pytest.fixture
def contrib(tmp_path, monkeypatch) -> GitRepo:
    return contrib_repo(tmp_path, monkeypatch)


def test_create_edit_delete_an_api_with_the_commands(runner, contrib: GitRepo) -> None:
    base = head(contrib)
    args = ["dataservice", "create", "ville-exemple", "api-arrets", "--title", "API des arrêts"]
    args += ["--base-url", "https://api.example.org/arrets/", "--dataset", "arrets-de-bus"]
    args += ["--description-url", "https://api.example.org/arrets/openapi.json", "--description-format", "openapi"]
    done = act(runner, contrib, "paul", *args)
    assert done.exit_code == 0, done.output
    assert read(contrib, API)["endpoint_description"] == {
        "url": "https://api.example.org/arrets/openapi.json",
        "format": "openapi",
    }
    assert_good(contrib, base)

    # an edit keeps the comments and layout of the file, and stamps last_modified
    file = contrib.path(API)
    file.write_text(file.read_text().replace("access_type: open", "access_type: open  # pour tous"))
    contrib.commit("paul")
    edited = act(runner, contrib, "jeanne", "dataservice", "edit", "api-arrets", "--title", "API v2")
    assert edited.exit_code == 0, edited.output
    text = file.read_text()
    assert "access_type: open  # pour tous" in text and "title: API v2" in text
    assert read(contrib, API)["last_modified"] == NOW

    shown = act(runner, contrib, "lucas", "dataservice", "list", "--format", "json", commit=False)
    assert '"api-arrets"' in shown.output

    assert act(runner, contrib, "lucas", "dataservice", "delete", "api-arrets").exit_code == 1
    gone = act(runner, contrib, "paul", "dataservice", "delete", "api-arrets")
    assert gone.exit_code == 0 and not file.exists()
    assert_good(contrib, base)


def test_the_commands_refuse_bad_input_up_front(runner, contrib: GitRepo) -> None:
    base = head(contrib)
    create = ["dataservice", "create", "ville-exemple", "api", "--title", "API", "--base-url", "https://a.example.org/"]
    unknown = act(runner, contrib, "paul", *create, "--dataset", "inconnu")
    assert unknown.exit_code == 1 and "no dataset inconnu" in unknown.output
    half = act(runner, contrib, "paul", *create, "--description-url", "https://a.example.org/o.json")
    assert half.exit_code == 2 and "together" in half.output
    bad_url = act(
        runner,
        contrib,
        "paul",
        "dataservice",
        "create",
        "ville-exemple",
        "api",
        "--title",
        "A",
        "--base-url",
        "ftp://x",
    )
    assert bad_url.exit_code == 1 and "base_api_url" in bad_url.output and "Traceback" not in bad_url.output
    taken = act(runner, contrib, "paul", "dataservice", "create", "ville-exemple", "arrets-de-bus", "--title", "A")
    assert taken.exit_code == 2  # --base-url is required
    assert clean(contrib) and head(contrib) == base
