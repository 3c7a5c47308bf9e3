"""The full build's fan-out (docs/deploy.md): one station's build and publish, called by the BuildStations
state machine (template.base.yaml) once per station, 100 at a time. Not gray-released: the state machine
calls the function's latest version, and a build is retried whole, never half on old code."""
from __future__ import annotations

from owner_functions import CONTENT, SITE
from policies import READ_SECRETS, Function, Trigger, allow, reads, writes

# No Events: Step Functions invokes it with the state machine's own role (LambdaInvokePolicy there).
BY_THE_STATE_MACHINE = Trigger("the BuildStations state machine", "", "", {})

BUILD_FUNCTIONS: dict[str, Function] = {
    "kameng.handlers.build_station:handler": Function(
        "BuildStation", "build one station from the content bucket and publish it to the site bucket",
        "A station's build or publish failed in the BuildStations state machine (content error, unhandled error "
        "or timeout)",
        # Content copied from its bucket; the site's objects and the station's price book (and its audit entry,
        # and the publish lease) written as a console publish writes them.
        (reads(), writes("PublishPriceBook"), READ_SECRETS,
         allow("ReadContent", ["s3:GetObject", "s3:ListBucket"], CONTENT),
         allow("WriteSite", ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"], SITE)),
        timeout=300, memory=1024, trigger=BY_THE_STATE_MACHINE),
}
