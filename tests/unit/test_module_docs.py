"""Every module's DOCUMENTATION, EXAMPLES and RETURN parse, so `ansible-doc` can render them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible.parsing.plugin_docs import read_docstring

MODULES = sorted((Path(__file__).resolve().parents[2] / "plugins" / "modules").glob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[p.stem for p in MODULES])
def test_module_documentation_parses(path: Path):
    docs = read_docstring(str(path))
    doc = docs["doc"]
    assert doc["module"] == path.stem
    assert doc["short_description"]
    assert doc["description"]
    assert "amazon.aws.common.modules" in doc["extends_documentation_fragment"]
    for name, option in doc.get("options", {}).items():
        assert option.get("description"), f"option {name} has no description"
    assert yaml.safe_load(docs["plainexamples"]), "EXAMPLES is empty"
    assert isinstance(docs["returndocs"], dict) and docs["returndocs"], "RETURN is empty"
