"""Generate a synthetic portal at any size, valid for ``portal validate``.

Defaults are data.gouv.fr's scale: 50,000 datasets, 300,000 resources, 5,000 organizations, 20,000 users,
5,000 reuses, 10,000 discussions, with realistic Markdown sizes and a few datasets with thousands of
resources. Deterministic for a given seed. Files are written as text directly (no YAML dumper): writing
the portal must not dominate the benchmarks that read it.

    python benchmarks/synth.py /tmp/big            # default scale
    python benchmarks/synth.py /tmp/small --datasets 2000
"""

from __future__ import annotations

import argparse
import random
import unicodedata
import uuid
from pathlib import Path

WORDS = [
    "données",
    "transport",
    "réseau",
    "arrêt",
    "ligne",
    "horaire",
    "commune",
    "région",
    "département",
    "budget",
    "subvention",
    "école",
    "collège",
    "lycée",
    "santé",
    "hôpital",
    "eau",
    "assainissement",
    "qualité",
    "air",
    "pollution",
    "énergie",
    "consommation",
    "électricité",
    "gaz",
    "bâtiment",
    "logement",
    "social",
    "population",
    "recensement",
    "emploi",
    "entreprise",
    "commerce",
    "marché",
    "agriculture",
    "forêt",
    "parcelle",
    "cadastre",
    "urbanisme",
    "voirie",
    "stationnement",
    "vélo",
    "piéton",
    "accident",
    "sécurité",
    "élection",
    "bureau",
    "vote",
    "culture",
    "musée",
    "bibliothèque",
    "sport",
    "équipement",
    "tourisme",
    "hébergement",
    "déchet",
    "collecte",
    "tri",
    "recyclage",
    "météo",
    "température",
]
FORMATS = [
    ("csv", "text/csv"),
    ("json", "application/json"),
    ("geojson", "application/geo+json"),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("pdf", "application/pdf"),
    ("zip", "application/zip"),
    ("parquet", "application/vnd.apache.parquet"),
    ("xml", "application/xml"),
]
LICENSES = ["etalab-2.0", "odc-odbl", "cc-by-4.0", "lov1", "cc0-1.0", "other-open", "notspecified"]
FREQUENCIES = ["daily", "weekly", "monthly", "quarterly", "annual", "irregular", "punctual", "unknown"]
RESOURCE_TYPES = ["main", "main", "main", "documentation", "update", "api", "other"]


def _ascii(word: str) -> str:
    return unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _markdown(rng: random.Random, paragraphs: int) -> str:
    parts = [f"## {_words(rng, 3).capitalize()}", ""]
    for _ in range(paragraphs):
        parts += [_words(rng, rng.randint(25, 60)).capitalize() + ".", ""]
    parts += [f"- **{_words(rng, 2)}** : {_words(rng, 8)}" for _ in range(rng.randint(2, 5))]
    parts += ["", f"Voir [la documentation](https://doc.example.org/{rng.randint(1, 9999)})."]
    return "\n".join(parts)


def _block(text: str, indent: str) -> str:
    return "|\n" + "\n".join(indent + line if line else "" for line in text.splitlines())


def _date(rng: random.Random, start: int = 2010, end: int = 2025) -> str:
    return f"{rng.randint(start, end)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def generate(
    dest: Path,
    datasets: int = 50_000,
    resources: int = 300_000,
    organizations: int = 5_000,
    users: int = 20_000,
    reuses: int = 5_000,
    discussions: int = 10_000,
    big: int = 3,
    seed: int = 0,
    dataservices: int | None = None,
) -> Path:
    """Write ``dest/content/`` and return it.

    ``dataservices``: the APIs, by default one per 100 datasets (data.gouv.fr lists a few hundred APIs beside
    its datasets); they are written last, so the other files are the same with or without them.
    """
    rng = random.Random(seed)
    content = Path(dest) / "content"
    (content / "users").mkdir(parents=True, exist_ok=True)
    (content / "organizations").mkdir(exist_ok=True)
    usernames = [f"user-{i}" for i in range(users)]
    (content / "site.yaml").write_text(
        "title: Portail synthétique\ndescription: Un portail généré pour les mesures.\n"
        "base_url: https://data.example.org/\nlanguages: [fr, en]\n"
        "repository: https://git.example.org/portail/contenu\nmaintainers: [user-0]\nbots: [user-1]\n"
    )
    for name in usernames:
        (content / "users" / f"{name}.yaml").write_text(
            f"name: {_words(rng, 2).title()}\nemails: [{name}@example.org]\n"
        )
    orgs = [f"org-{i}" for i in range(organizations)]
    for i, org in enumerate(orgs):
        folder = content / "organizations" / org
        for sub in ("datasets", "reuses", "discussions"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        members = [(usernames[(i * 4) % users], "admin")]
        members += [(usernames[(i * 4 + k) % users], "editor") for k in range(1, rng.randint(1, 4))]
        lines = "".join(f"  - user: {u}\n    role: {r}\n    since: {_date(rng)}\n" for u, r in members)
        (folder / "organization.yaml").write_text(
            f"name: {_words(rng, 3).title()} {i}\ndescription: {_block(_markdown(rng, 1), '  ')}\n"
            f"created: {_date(rng)}\nmembers:\n{lines}"
        )
    # resources: `big` datasets with thousands each, the rest spread so the total is `resources`
    big_each = min(3000, resources // 10) if big else 0
    rest = max(0, resources - big * big_each)
    per = [rest // max(1, datasets - big)] * datasets
    for k in range(rest - sum(per[big:])):
        per[big + k % max(1, datasets - big)] += 1
    for k in range(big):
        per[k] = big_each
    slugs = []
    for i in range(datasets):
        org = orgs[i % organizations]
        slug = f"jeu-{i}-{_ascii(rng.choice(WORDS))}"
        slugs.append((org, slug))
        res = []
        for _ in range(per[i]):
            fmt, mime = rng.choice(FORMATS)
            rid = uuid.UUID(int=rng.getrandbits(128), version=4)
            res.append(
                f"  - id: {rid}\n    title: {_words(rng, 3).capitalize()}\n"
                f"    url: https://files.example.org/{rid}.{fmt}\n    type: {rng.choice(RESOURCE_TYPES)}\n"
                f"    format: {fmt}\n    mime: {mime}\n    filesize: {rng.randint(1_000, 50_000_000)}\n"
                f"    last_modified: {_date(rng, 2020)}\n"
            )
        start = rng.randint(2000, 2020)
        (content / "organizations" / org / "datasets" / f"{slug}.yaml").write_text(
            f"title: {_words(rng, 5).capitalize()}\ndescription: {_block(_markdown(rng, rng.randint(1, 4)), '  ')}\n"
            f"license: {rng.choice(LICENSES)}\nfrequency: {rng.choice(FREQUENCIES)}\n"
            f"temporal_coverage: {{start: {start}-01-01, end: {start + 3}-12-31}}\n"
            f"spatial: {{zones: ['fr:departement:{rng.randint(10, 95)}'], granularity: fr:commune}}\n"
            f"tags: [{', '.join(sorted({_ascii(rng.choice(WORDS[:20])) for _ in range(3)}))}]\n"
            f"created: {_date(rng, 2012, 2019)}\nlast_modified: {_date(rng, 2020)}\n"
            + ("resources:\n" + "".join(res) if res else "")
        )
    for i in range(reuses):
        org = orgs[i % organizations]
        used = sorted({rng.choice(slugs)[1] for _ in range(rng.randint(1, 3))})
        (content / "organizations" / org / "reuses" / f"reutilisation-{i}.yaml").write_text(
            f"title: {_words(rng, 4).capitalize()}\ndescription: {_block(_markdown(rng, 1), '  ')}\n"
            f"url: https://reuse.example.org/{i}\ntype: application\ncreated: {_date(rng)}\n"
            f"datasets: [{', '.join(used)}]\n"
        )
    for i in range(discussions):
        org, slug = slugs[rng.randrange(datasets)]
        messages = "".join(
            f"  - author: {rng.choice(usernames)}\n    posted: {_date(rng, 2021)}T10:{k:02d}:00+01:00\n"
            f"    content: {_block(_words(rng, rng.randint(20, 80)).capitalize() + '.', '      ')}\n"
            for k in range(rng.randint(1, 5))
        )
        (content / "organizations" / org / "discussions" / f"discussion-{i}.yaml").write_text(
            f"subject: {slug}\ntitle: {_words(rng, 5).capitalize()} ?\nmessages:\n{messages}"
        )
    for i in range(datasets // 100 if dataservices is None else dataservices):
        org, slug = slugs[rng.randrange(datasets)]
        folder = content / "organizations" / org / "dataservices"
        folder.mkdir(exist_ok=True)
        access = rng.choice(("open", "open", "open_with_account", "restricted"))
        request = "" if access == "open" else f"authorization_request_url: https://api.example.org/{i}/acces\n"
        (folder / f"api-{i}.yaml").write_text(
            f"title: API {_words(rng, 3)}\ndescription: {_block(_markdown(rng, rng.randint(1, 2)), '  ')}\n"
            f"base_api_url: https://api.example.org/{i}/\n"
            f"endpoint_description:\n  url: https://api.example.org/{i}/openapi.json\n  format: openapi\n"
            f"access_type: {access}\n{request}license: {rng.choice(LICENSES)}\ndatasets: [{slug}]\n"
            f"tags: [{_ascii(rng.choice(WORDS[:20]))}]\ncreated: {_date(rng, 2018, 2022)}\n"
            f"last_modified: {_date(rng, 2023)}\n"
        )
    return content


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path)
    for name, default in (
        ("datasets", 50_000),
        ("resources", 300_000),
        ("organizations", 5_000),
        ("users", 20_000),
        ("reuses", 5_000),
        ("discussions", 10_000),
        ("big", 3),
        ("seed", 0),
    ):
        parser.add_argument(f"--{name}", type=int, default=default)
    args = vars(parser.parse_args())
    dest = args.pop("dest")
    print(generate(dest, **args))


if __name__ == "__main__":
    main()
