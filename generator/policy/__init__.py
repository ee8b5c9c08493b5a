"""Role rules applied to commits: who may change what in a content repository (docs/roles.md).

:mod:`.rules` is the rule table and the pure decisions, :mod:`.git` the only module that runs git,
:mod:`.check` the orchestration (``portal check-roles``, ``portal can``).
"""

from __future__ import annotations

from .check import Options, Report, Verdict, can, check_roles
from .git import GitError
from .rules import BY_ID, RULES, Actor, Decision, Rule, Version, judge

__all__ = [
    "BY_ID",
    "RULES",
    "Actor",
    "Decision",
    "GitError",
    "Options",
    "Report",
    "Rule",
    "Verdict",
    "Version",
    "can",
    "check_roles",
    "judge",
]
