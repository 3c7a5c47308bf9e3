"""Paths that tried to turn "add the trailing slash" into a redirect to another host: one corpus for
the local server and the CloudFront host router, which must both keep every redirect on the station's host."""

EVASIONS = [
    "/%5C127.0.0.1:8614/..%2Fp",
    "/%5c127.0.0.1:8614/..%2fp",
    "//evil.example",
    "///evil.example",
    "//evil.example/p",
    "/\\evil.example",
    "/\\\\evil.example",
    "/\\/evil.example",
    "//\\evil.example",
    "/%5Cevil.example",
    "/%5C%5Cevil.example",
    "/%2F%2Fevil.example",
    "/%2f%2fevil.example",
    "/%2f/evil.example",
    "/p%2F..%2F..%2Fevil.example",
    "/.//evil.example",
    "/./evil.example",
    "/%2e/evil.example",
    "/%2e%2e/p",
    "/p/..",
    "/p/../p",
    "/p//evil.example",
    "/%09/evil.example",
    "/%0a/evil.example",
    "/%0d%0a/evil.example",
    "/%00/p",
    "/%7f/p",
    "/\t/evil.example",
    "/\n/evil.example",
    "/%E2%88%95evil.example",  # ∕ division slash
    "/%EF%BC%8Fevil.example",  # ／ fullwidth solidus
    "/%EF%BC%BCevil.example",  # ＼ fullwidth reverse solidus
    "/%E2%81%84evil.example",  # ⁄ fraction slash
    "/%C0%AFevil.example",  # an overlong "/", not UTF-8
    "/%C2%85/evil.example",  # NEL
]
