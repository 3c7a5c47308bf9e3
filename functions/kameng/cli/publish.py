"""`publish`: the built site to S3, the price books to the store, the changed pages out of CloudFront.
`rollback`: one station back to an earlier publish."""
from __future__ import annotations

import argparse
from datetime import datetime, timezone
from pathlib import Path

from kameng import config as configuration
from kameng.cli.command import EXIT_OK, Command, Failure, actor, open_deps

PUBLISH_EPILOG = """\
examples:
  kameng publish --bucket kameng-sites --distribution E2ABCDEF123 --dry-run
  kameng publish --bucket kameng-sites --distribution E2ABCDEF123 --console-distribution E3CONSOLE456
  kameng publish --bucket kameng-sites --distribution E2ABCDEF123 --stations game-zone,av-club
  kameng publish --bucket kameng-sites --distribution E2ABCDEF123 --share 10
  kameng publish --bucket kameng-sites --history game-zone

Uploads site/<station>/ to s3://BUCKET/<station>/, and the owner console's
site/_console/ to s3://BUCKET/_console/ (only what changed, by
content hash; hashed assets cached for a year, pages revalidated), publishes
each station's price book to the store (KAMENG_STORE, e.g. dynamodb), deletes
what the build no longer has, and invalidates only the changed pages. AWS
credentials come from the usual AWS_* variables or profile. --dry-run prints
the plan and changes nothing.

--stations (or --station, repeated) publishes only those stations; --share N
the stations in the first N % of a fixed order by hash of their ids, so 10 %
is always within 50 %: roll a new theme out to a few stations, watch, widen.
Each publish is recorded; --history lists a station's, newest last, and
`kameng rollback STATION` brings the one before back (docs/operations.md).
"""

ROLLBACK_EPILOG = """\
examples:
  kameng rollback game-zone --bucket kameng-sites --distribution E2ABCDEF123
  kameng rollback game-zone --bucket kameng-sites --distribution E2ABCDEF123 --to 20261206T053110.123456Z

Copies the earlier versions of the station's files back from the versioned
bucket (the publish before the live one, or the one --to names: see
`kameng publish --history STATION`), deletes the files it did not have,
publishes its price book again, invalidates the changed pages and records it
in the audit log. Files are kept 30 days after they were replaced.
"""


def _publisher(args: argparse.Namespace):
    # boto3 takes longer to import than every other command takes to run: only publishing pays for it.
    import boto3
    from botocore.config import Config as BotoConfig

    from kameng.adapters.cdn_s3 import S3CloudFrontPublisher

    return S3CloudFrontPublisher(
        boto3.client("s3", config=BotoConfig(max_pool_connections=16)),
        boto3.client("cloudfront") if args.distribution or getattr(args, "console_distribution", None) else None,
        max_workers=16)


def _lease():
    from kameng.services.rollout import publish_lease

    return publish_lease(open_deps, f"cli:{actor()}")


def publish_command(args: argparse.Namespace) -> int:
    from kameng.services.audit import publishing_price_books
    from kameng.services.publish_site import PublishError, publish

    publisher = _publisher(args)
    try:
        if args.history:
            return _history(publisher, args.bucket, args.history)
        stations = _chosen(args)
        report = publish(args.site, stations, args.bucket, args.distribution, publisher,
                         publish_price_books=None if args.dry_run else publishing_price_books(open_deps(), actor()),
                         dry_run=args.dry_run, echo=print, console_distribution=args.console_distribution,
                         lease=None if args.dry_run else _lease())
    except PublishError as error:
        raise Failure(str(error)) from None
    print(report.summary())
    for result in report.stations:
        if result.record:
            print(f"  {result.plan.station}: version {result.record}")
    return EXIT_OK


def _chosen(args: argparse.Namespace) -> list[str] | None:
    from kameng.services.publish_site import PublishError
    from kameng.services.rollout import share_of
    from kameng.sitegen.console import OUTPUT as CONSOLE

    named = list(args.station or []) + [name.strip() for given in args.stations or [] for name in given.split(",")]
    if any(not name for name in named):
        raise PublishError("--stations: give station ids separated by commas, e.g. game-zone,av-club")
    if args.share is None:
        return named or None
    if named:
        raise PublishError("give either --share or --stations, not both")
    site = Path(args.site)
    every = sorted(p.name for p in site.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name != CONSOLE) \
        if site.is_dir() else []
    chosen = share_of(every, args.share)
    if not chosen:
        raise PublishError(f"--share {args.share:g}: none of the {len(every)} station(s) falls in it; "
                           "raise the share or name stations with --stations")
    print(f"--share {args.share:g}: {', '.join(chosen)}")
    return chosen


def _history(publisher, bucket: str, station: str) -> int:
    from kameng.services.rollout import history

    records = history(publisher, bucket, station)
    if not records:
        print(f"{station}: never published to s3://{bucket}/ with a record")
    for record in records:
        print(record.describe())
    return EXIT_OK


def rollback_command(args: argparse.Namespace) -> int:
    from kameng.services import audit
    from kameng.services.publish_site import PublishError
    from kameng.services.rollback import rollback

    publisher = _publisher(args)
    deps, who = open_deps(), actor()
    try:
        with _lease()([args.station]):
            done = rollback(publisher, args.bucket, args.station, args.to, args.distribution,
                            audit.publishing_price_books(deps, who), datetime.now(timezone.utc))
    except PublishError as error:
        raise Failure(str(error)) from None
    audit.record(deps, who, args.station, "site.rollback", done.to, {"version": done.was},
                 {"version": done.record, "restored": done.to, "price_book": done.price_book})
    print(done.summary())
    return EXIT_OK


def _publish_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--bucket", required=True, help="the S3 bucket the CDN serves from")
    sub.add_argument("--distribution", metavar="ID", help="the CloudFront distribution id to invalidate")
    sub.add_argument("--console-distribution", metavar="ID",
                     help="the console's own distribution (stack output ConsoleDistributionId) to invalidate")
    sub.add_argument("--site", type=Path, default=configuration.REPO / "site", help="the build output (default ./site)")
    sub.add_argument("--station", action="append", metavar="ID", help="only this station (repeatable)")
    sub.add_argument("--stations", action="append", metavar="A,B", help="only these stations, separated by commas")
    sub.add_argument("--share", type=float, metavar="PERCENT",
                     help="only this percentage of the stations, the same ones every time (e.g. 10, then 50, 100)")
    sub.add_argument("--history", metavar="STATION", help="list the station's published versions, change nothing")
    sub.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")


def _rollback_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("station", metavar="STATION", help="the station to put back")
    sub.add_argument("--bucket", required=True, help="the S3 bucket the CDN serves from")
    sub.add_argument("--distribution", metavar="ID", help="the CloudFront distribution id to invalidate")
    sub.add_argument("--to", metavar="VERSION", help="the published version to bring back (default: the one before)")


PUBLISH = Command("publish", "Upload the built site to S3, publish price books, invalidate CloudFront.",
                  PUBLISH_EPILOG, publish_command, _publish_arguments)
ROLLBACK = Command("rollback", "Put a station's published site back to an earlier publish.",
                   ROLLBACK_EPILOG, rollback_command, _rollback_arguments)
