"""`publish`: the built site to S3, the price books to the store, the changed pages out of CloudFront."""
from __future__ import annotations

import argparse
from pathlib import Path

from kameng import config as configuration
from kameng.cli.command import EXIT_OK, Command, Failure, actor, open_deps

PUBLISH_EPILOG = """\
examples:
  kameng publish --bucket kameng-sites --distribution E2ABCDEF123 --dry-run
  kameng publish --bucket kameng-sites --distribution E2ABCDEF123 --console-distribution E3CONSOLE456

Uploads site/<station>/ to s3://BUCKET/<station>/, and the owner console's
site/_console/ to s3://BUCKET/_console/ (only what changed, by
content hash; hashed assets cached for a year, pages revalidated), publishes
each station's price book to the store (KAMENG_STORE, e.g. dynamodb), deletes
what the build no longer has, and invalidates only the changed pages. AWS
credentials come from the usual AWS_* variables or profile. --dry-run prints
the plan and changes nothing.
"""


def publish_command(args: argparse.Namespace) -> int:
    # boto3 takes longer to import than every other command takes to run: only publishing pays for it.
    import boto3
    from botocore.config import Config as BotoConfig

    from kameng.adapters.cdn_s3 import S3CloudFrontPublisher
    from kameng.services.audit import publishing_price_books
    from kameng.services.publish_site import PublishError, publish

    publisher = S3CloudFrontPublisher(
        boto3.client("s3", config=BotoConfig(max_pool_connections=16)),
        boto3.client("cloudfront") if args.distribution or args.console_distribution else None, max_workers=16)
    try:
        report = publish(args.site, args.station or None, args.bucket, args.distribution, publisher,
                         publish_price_books=None if args.dry_run else publishing_price_books(open_deps(), actor()),
                         dry_run=args.dry_run, echo=print, console_distribution=args.console_distribution)
    except PublishError as error:
        raise Failure(str(error)) from None
    print(report.summary())
    return EXIT_OK


def _publish_arguments(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--bucket", required=True, help="the S3 bucket the CDN serves from")
    sub.add_argument("--distribution", metavar="ID", help="the CloudFront distribution id to invalidate")
    sub.add_argument("--console-distribution", metavar="ID",
                     help="the console's own distribution (stack output ConsoleDistributionId) to invalidate")
    sub.add_argument("--site", type=Path, default=configuration.REPO / "site", help="the build output (default ./site)")
    sub.add_argument("--station", action="append", metavar="ID", help="only this station (repeatable)")
    sub.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")


PUBLISH = Command("publish", "Upload the built site to S3, publish price books, invalidate CloudFront.",
                  PUBLISH_EPILOG, publish_command, _publish_arguments)
