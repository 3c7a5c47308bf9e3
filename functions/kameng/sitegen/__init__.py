"""The static-site generator: content/ → validated catalog → site/ and price books."""
from kameng.sitegen.pipeline import BuildReport, build
from kameng.sitegen.problems import ContentError

__all__ = ["BuildReport", "ContentError", "build"]
