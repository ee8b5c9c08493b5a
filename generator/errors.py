"""Problems as values, and the one exception root.

A :class:`Problem` is what every check returns: a stable code, the file as a contributor sees it in the
repository, a line and column, the JSON path inside the document, a message and a hint. Checks collect
problems instead of raising, so a contributor sees every mistake of a pull request in one run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Every problem code, with what it means: the stable ids contributors and tools rely on (docs/validate.md).
CODES: dict[str, str] = {
    # reading files
    "unreadable": "the file cannot be read",
    "file-too-large": "the file is over 16 MiB",
    "binary-file": "the file holds NUL bytes",
    "invalid-utf8": "the file is not UTF-8",
    "empty-file": "the file is empty or only comments",
    "yaml-syntax": "the YAML does not parse",
    "yaml-multiple-documents": "the file holds several YAML documents",
    "yaml-too-deep": "the YAML nests too deeply",
    "yaml-alias": "anchors and aliases are not allowed",
    "yaml-merge-key": "merge keys (<<) are not allowed",
    "yaml-complex-key": "a key is not plain text",
    "yaml-tag": "a YAML tag (!!binary, !custom) is not allowed",
    "duplicate-key": "a key appears twice in one mapping",
    "yaml-unquoted-date": "an unquoted date where text is expected",
    # where files are
    "unknown-file": "no content lives at this path",
    "not-a-file": "a folder named like a content file",
    "symlink": "symbolic links are not allowed",
    "bad-slug": "a file or folder name is not a slug",
    # schemas
    "unknown-key": "a key the schema does not know (typo?)",
    "missing-key": "a required key is missing",
    "wrong-type": "a value of the wrong type (often an unquoted yes/no/1.0)",
    "not-allowed": "a value outside the allowed list",
    "bad-format": "a value of the wrong form (date, URL, slug, email...)",
    "invalid": "any other schema rule",
    # across files
    "missing-site": "content/site.yaml is missing",
    "unknown-user": "a username that has no user file",
    "duplicate-email": "an email that already identifies another user",
    "duplicate-member": "a user listed twice in one organization",
    "no-admin": "an organization without an admin",
    "missing-owner": "content under an organization or user that does not exist",
    "duplicate-dataset": "a dataset slug used twice in the portal",
    "duplicate-reuse": "a reuse slug used twice in the portal",
    "duplicate-dataservice": "an API (data service) slug used twice in the portal",
    "duplicate-discussion": "a discussion id used twice in the portal",
    "duplicate-resource-id": "a resource id used twice in the portal",
    "duplicate-zone": "a zone code listed twice in zones.yaml",
    "unknown-dataset": "a reuse points at a dataset that does not exist",
    "unknown-subject": "a discussion's subject does not exist",
    "wrong-owner": "a discussion filed under another owner than its subject's",
    "request-user-mismatch": "a request file not named after its user",
    "already-member": "a pending request from a user who is already a member",
}


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the content, pointing at the exact file and line."""

    file: str
    line: int
    col: int
    code: str
    message: str
    hint: str = ""
    path: tuple[str | int, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if self.code not in CODES:  # a programming error: every code is registered and documented
            raise ValueError(f"unregistered problem code {self.code!r}")

    def as_text(self) -> str:
        text = f"{self.file}:{self.line}:{self.col}: {self.code}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
            "path": list(self.path),
        }


class PortalError(Exception):
    """Root of every error the library raises; only ``cli.py`` turns it into a Click error."""

    exit_code = 2


class ContentError(PortalError):
    """The content has problems; carries them so the caller can report every one."""

    exit_code = 1

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s) in the content")
        self.problems = problems


class UsageError(PortalError):
    """The command was called wrongly (missing folder, bad option): exit code 2."""

    exit_code = 2
