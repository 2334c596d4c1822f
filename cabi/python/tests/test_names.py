"""The framework's exception names: one definition in the kit (virgil._names), the same list as
the table of cabi/ABI.md section 7, and every fixed class of virgil.exceptions named from it."""

from __future__ import annotations

import re
from typing import List

from conftest import REPO

import virgil
from virgil import _names
from virgil.exceptions import ForeignError, errors


def section_7_names() -> List[str]:
    """The names in the first column of the table of ABI.md section 7 (not 7.1), in order."""
    text = (REPO / "cabi" / "ABI.md").read_text(encoding="utf-8")
    match = re.search(r"^## 7\. .*?$(.*?)^### 7\.1", text, re.S | re.M)
    assert match, "cabi/ABI.md: no section 7 before 7.1"
    names = re.findall(r"^\| `(virgil\.[A-Za-z]+)` \|", match.group(1), re.M)
    assert names, "cabi/ABI.md section 7: no table of names"
    return names


def test_framework_names_match_the_abi() -> None:
    assert list(_names.FRAMEWORK_NAMES) == section_7_names()
    assert len(set(_names.FRAMEWORK_NAMES)) == len(_names.FRAMEWORK_NAMES)


def test_fixed_classes_take_their_names_from_the_one_list() -> None:
    fixed = {
        cls.wire_name
        for cls in vars(virgil).values()
        if isinstance(cls, type)
        and issubclass(cls, ForeignError)
        and cls is not ForeignError
        and cls.wire_name.startswith("virgil.")
    }
    assert fixed, "no framework classes found"
    assert fixed <= set(_names.FRAMEWORK_NAMES), fixed - set(_names.FRAMEWORK_NAMES)
    for name in _names.FRAMEWORK_NAMES:
        assert errors[name].wire_name == name


def test_no_other_module_spells_a_framework_name() -> None:
    package = REPO / "cabi" / "python" / "src" / "virgil"
    for path in sorted(package.glob("*.py")):
        if path.name == "_names.py":
            continue
        text = path.read_text(encoding="utf-8")
        for name in _names.FRAMEWORK_NAMES:
            for quote in ('"', "'"):
                assert quote + name + quote not in text, f"{path.name} spells {name}"
