"""The embedded real-name check: a fixed set of test identities, so a shop can be tried without a provider.

| name | ID number          | answer                                  |
| ---- | ------------------ | --------------------------------------- |
| 张三 | 11010519491231002X | matched                                 |
| 李四 | 110101199003070070 | matched                                 |
| 王五 | 440305199505132561 | matched                                 |
| any  | 310115198001011238 | unavailable (as a provider outage)      |
| any  | 110101200001010010 | invalid (no such card in the registry)  |
| any other valid number, or another name     | mismatched              |
"""
from __future__ import annotations

from kameng.domain.real_name import Verdict, Verification

MATCHING = {
    ("张三", "11010519491231002X"),
    ("李四", "110101199003070070"),
    ("王五", "440305199505132561"),
}
UNAVAILABLE_NUMBER = "310115198001011238"
UNKNOWN_NUMBER = "110101200001010010"


class SandboxRealNameCheck:
    def __init__(self) -> None:
        self.calls = 0  # what a provider would have charged for

    def verify(self, name: str, id_number: str) -> Verification:
        self.calls += 1
        if id_number == UNAVAILABLE_NUMBER:
            return Verification(Verdict.UNAVAILABLE, "sandbox: the registry is not answering")
        if id_number == UNKNOWN_NUMBER:
            return Verification(Verdict.INVALID, "证件库中无此身份证记录")
        if (name, id_number) in MATCHING:
            return Verification(Verdict.MATCHED, "姓名和身份证号一致")
        return Verification(Verdict.MISMATCHED, "姓名和身份证号不一致")
