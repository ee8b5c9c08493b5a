"""``portal deploy``: send a built site to S3-compatible object storage (see docs/deploy.md)."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import PortalError
from .common import fail, main


@main.command()
@click.option(
    "--output",
    "site",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("_site"),
    show_default=True,
    help="The built site to deploy (what `portal build` wrote).",
)
@click.option("--bucket", required=True, envvar="PORTAL_DEPLOY_BUCKET", help="The bucket [env PORTAL_DEPLOY_BUCKET].")
@click.option("--prefix", default="", envvar="PORTAL_DEPLOY_PREFIX", help="A folder in the bucket (default: its root).")
@click.option(
    "--endpoint-url",
    default=None,
    envvar=["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"],
    help="The S3 endpoint of a non-AWS store (default: AWS, or AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL).",
)
@click.option("--region", default=None, help="The region (default: AWS_REGION, the profile's, or us-east-1).")
@click.option("--profile", default=None, help="An AWS profile name (credentials are never taken as options).")
@click.option(
    "--redirects",
    type=click.Choice(["pages", "s3-website"]),
    default="pages",
    show_default=True,
    help="s3-website also sets x-amz-website-redirect-location on each resource redirect page (a real 301 "
    "from an S3 website endpoint).",
)
@click.option(
    "--max-age",
    type=click.IntRange(min=0),
    default=300,
    show_default=True,
    help="Cache-Control max-age (s) of everything but Pagefind's content-named files (cached a year).",
)
@click.option("--concurrency", type=click.IntRange(1, 256), default=16, show_default=True, help="Uploads at a time.")
@click.option(
    "--dry-run", is_flag=True, help="List what would be sent (+ new, ~ changed) and deleted (-); change nothing."
)
@click.option("--verify", is_flag=True, help="Also list the bucket: send what is missing, delete what the site lacks.")
@click.option(
    "--no-hash-cache",
    is_flag=True,
    help="Read and hash every file, ignoring the hashes kept in .portal-cache/ by the last deploy.",
)
def deploy(
    site: Path,
    bucket: str,
    prefix: str,
    endpoint_url: str | None,
    region: str | None,
    profile: str | None,
    redirects: str,
    max_age: int,
    concurrency: int,
    dry_run: bool,
    verify: bool,
    no_hash_cache: bool,
) -> None:
    """Send the built site to an S3 bucket: only the objects that changed, then delete the vanished ones.

    \b
    Example:
      portal deploy --bucket data-ville-fr --endpoint-url https://s3.fr-par.scw.cloud --dry-run
    """
    from .. import deploy as lib

    target = lib.Target(bucket=bucket, prefix=prefix, endpoint_url=endpoint_url, region=region, profile=profile)
    try:
        result = lib.deploy(
            site,
            target,
            dry_run=dry_run,
            verify=verify,
            redirects=redirects,
            max_age=max_age,
            concurrency=concurrency,
            use_cache=not no_hash_cache,
            log=lambda message: click.echo(message, err=True),
        )
    except PortalError as exc:
        fail(exc)
    if dry_run:
        for line in lib.changes(result.plan):
            click.echo(line)
    click.echo(lib.describe(result))
