"""The owner console's nested stack, infra/console.yaml (the Console resource of infra/template.yaml).

Its functions are written as the parent's are, then their references to the parent's resources are turned
into the nested stack's parameters (infra/console.base.yaml): a resource by its own name, its ARN as
<Resource>Arn. The parent passes each by that name, so a right reads the same in both templates.
"""
from __future__ import annotations

import re
from typing import Any

# A SAM route event may name only an API of its own template.
API = "ConsoleApi"
ARN_IN_SUB = re.compile(r"\$\{(\w+)\.Arn\}")


def as_parameters(node: Any) -> Any:
    """The parent's !GetAtt X.Arn (and ${X.Arn} in a !Sub) as the parameter XArn; every other reference as it is."""
    if isinstance(node, list):
        return [as_parameters(item) for item in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"Fn::GetAtt"} and node["Fn::GetAtt"][1] == "Arn":
        return {"Ref": f"{node['Fn::GetAtt'][0]}Arn"}
    if set(node) == {"Fn::Sub"} and isinstance(node["Fn::Sub"], str):
        return {"Fn::Sub": ARN_IN_SUB.sub(r"${\1Arn}", node["Fn::Sub"])}
    return {key: as_parameters(value) for key, value in node.items()}
