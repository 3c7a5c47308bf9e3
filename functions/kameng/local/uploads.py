"""PUT /_uploads/<id>?expires=…&size=…&signature=…: the local stand-in for a presigned S3 upload."""
from __future__ import annotations

from urllib.parse import parse_qsl

from kameng.adapters.uploads_local import LocalUploads
from kameng.domain.errors import DomainError, InvalidRequest, NotFound
from kameng.http import error_response, respond
from kameng.wiring import deps

PREFIX = "/_uploads/"
Response = tuple[int, list[tuple[str, str]], bytes]


def receive(environ: dict, path: str) -> Response:
    try:
        chosen = deps()
        if environ.get("REQUEST_METHOD") != "PUT" or not isinstance(chosen.uploads, LocalUploads):
            raise NotFound("这里只接收本机上传的 PUT 请求")
        try:
            length = int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            raise InvalidRequest("缺少 Content-Length") from None
        chosen.uploads.receive(path[len(PREFIX):], dict(parse_qsl(environ.get("QUERY_STRING", ""))),
                               environ["wsgi.input"], length, chosen.clock())
        answer = respond(200, {"received": length})
    except DomainError as error:
        answer = error_response(error)
    return answer["statusCode"], list(answer["headers"].items()), answer["body"].encode()
