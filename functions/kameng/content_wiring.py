"""Where the console's content editor reads and publishes, from the environment, once per process.

Unset, everything is local: content/ is edited in place and site/ rebuilt as `make build` does.
KAMENG_CONTENT_BUCKET (a private bucket holding content/ under KAMENG_CONTENT_PREFIX, default
`content/`) selects production: the one station's build is published to KAMENG_SITE_BUCKET and
KAMENG_DISTRIBUTION_ID, when set, is invalidated, as `kameng publish` does (docs/configuration.md).
"""
from __future__ import annotations

from pathlib import Path

from kameng import config as configuration
from kameng.config import CODE_ROOT, REPO
from kameng.services.content_edit import CdnTarget, ContentSite
from kameng import wiring
from kameng.wiring import Once



def templates_dir(code_root: Path = CODE_ROOT) -> Path:
    # The deployment ships the themes beside the package; the repository keeps them at its top.
    packaged = code_root / "templates"
    return packaged if (packaged / "default").is_dir() else REPO / "templates"


def build(config: configuration.Config) -> ContentSite:
    if not config.content_bucket:
        from kameng.adapters.content_local import LocalContentFiles

        return ContentSite(LocalContentFiles(config.content_dir), templates_dir(), site_dir=config.site_dir)
    import boto3

    from kameng.adapters.cdn_s3 import S3CloudFrontPublisher
    from kameng.adapters.content_s3 import COPY_THREADS, S3ContentFiles
    from kameng.services.rollout import CONTENT_LEASE, publish_lease

    if not config.site_bucket:
        raise configuration.ConfigError(
            "KAMENG_CONTENT_BUCKET needs KAMENG_SITE_BUCKET (the bucket the CDN serves the stations from)")
    from botocore.config import Config as BotoConfig

    s3 = boto3.client("s3", config=BotoConfig(max_pool_connections=COPY_THREADS))
    distribution = config.distribution_id
    publisher = S3CloudFrontPublisher(s3, boto3.client("cloudfront") if distribution else None)
    lease = publish_lease(wiring.deps, "function")
    files = S3ContentFiles(s3, config.content_bucket, config.content_prefix, lock=lambda: lease([CONTENT_LEASE]))
    return ContentSite(files, templates_dir(), cdn=CdnTarget(config.site_bucket, distribution, publisher, lease))


_site: Once[ContentSite] = Once(build)


def content_site() -> ContentSite:
    return _site.get()


def use(chosen: ContentSite | None) -> None:
    """Make the content handlers of this process use `chosen` (None: build from the environment again)."""
    _site.use(chosen)
