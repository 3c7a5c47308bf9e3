"""Where posters are kept, from the environment, once per process: the uploads bucket when
KAMENG_UPLOADS_BUCKET is set, else the data folder's posters/."""
from __future__ import annotations

from kameng import config as configuration
from kameng.services.posters import PosterCache
from kameng.wiring import Once


def build(config: configuration.Config) -> PosterCache:
    if config.uploads_bucket:
        import boto3

        from kameng.adapters.poster_cache import S3PosterCache

        return S3PosterCache(boto3.client("s3"), config.uploads_bucket)
    from kameng.adapters.poster_cache import FolderPosterCache

    return FolderPosterCache(config.data_dir / "posters")


_cache: Once[PosterCache] = Once(build)


def poster_cache() -> PosterCache:
    return _cache.get()


def use(chosen: PosterCache | None) -> None:
    """Make this process keep posters in `chosen` (None: build from the environment again)."""
    _cache.use(chosen)
