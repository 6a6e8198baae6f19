"""digest.config on its own: the schema is the one declaration of every option, and README shows it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from digest.config import SiteConfig, load_config, options_of
from digest.diagnostics import Diagnostics

from ..conftest import REPO

# Mappings whose keys are the user's own (tag names, kind names, extension names, template values).
FREE_FORM = {"tags.aliases", "annotations.kinds", "markdown.extension_configs", "extra"}


def schema_keys(schema: type = SiteConfig, prefix: str = "") -> set[str]:
    keys = set()
    for spec in options_of(schema):
        name = prefix + spec.name
        keys.add(name)
        if "section" in spec.metadata:
            keys |= schema_keys(spec.metadata["section"], name + ".")
    return keys


def _readme_keys() -> set[str]:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## site.yaml reference", 1)[1]
    block = re.search(r"```yaml\n(.*?)```", section, re.DOTALL).group(1)
    keys: set[str] = set()

    def walk(data: dict, prefix: str) -> None:
        for key, value in data.items():
            name = prefix + str(key)
            keys.add(name)
            if isinstance(value, dict) and name not in FREE_FORM:
                walk(value, name + ".")

    walk(yaml.safe_load(block), "")
    return keys


def test_every_option_is_documented_in_readme_and_nothing_else_is() -> None:
    assert _readme_keys() == schema_keys()


def test_every_option_has_a_check_and_a_description() -> None:
    def walk(schema: type) -> None:
        for spec in options_of(schema):
            if "section" in spec.metadata:
                walk(spec.metadata["section"])
            else:
                assert callable(spec.metadata.get("check")) and spec.metadata.get("doc"), spec.name
    walk(SiteConfig)


def test_the_readme_example_is_a_valid_site_yaml(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text()
    block = re.search(r"```yaml\n(.*?)```", readme.split("## site.yaml reference", 1)[1], re.DOTALL).group(1)
    (tmp_path / "site.yaml").write_text(block)
    diags = Diagnostics()
    assert load_config(tmp_path, diags) is not None, [d.format() for d in diags.items]


def _load(tmp_path: Path, text: str) -> tuple[SiteConfig | None, list[str]]:
    (tmp_path / "site.yaml").write_text(text)
    diags = Diagnostics()
    return load_config(tmp_path, diags), [d.format() for d in diags.sorted()]


@pytest.mark.parametrize("key", sorted(k for k in schema_keys() if k not in FREE_FORM and "." in k or k in {"title", "timezone"}))
def test_a_value_of_the_wrong_type_names_its_key_and_line(tmp_path: Path, key: str) -> None:
    parts = key.split(".")
    text = "".join("  " * depth + part + ":\n" for depth, part in enumerate(parts[:-1]))
    text += "  " * (len(parts) - 1) + parts[-1] + ": {unexpected: mapping}\n"
    config, problems = _load(tmp_path, text)
    assert config is None and len(problems) >= 1
    assert problems[0].startswith(f"site.yaml:{len(parts)}: error: ") and f"`{key}`" in problems[0] or key in problems[0]


@given(st.text(alphabet=st.characters(categories=["Ll"]), min_size=1, max_size=12).filter(lambda k: k not in schema_keys()))
def test_an_unknown_key_is_an_error_naming_it(tmp_path_factory: pytest.TempPathFactory, key: str) -> None:
    config, problems = _load(tmp_path_factory.mktemp("cfg"), f"'{key}': 1\n")  # quoted: `null` is a name here
    assert config is None and problems and problems[0].startswith(f"site.yaml:1: error: unknown setting `{key}`")


def test_config_defaults_and_errors(tmp_path: Path) -> None:
    config = _load(tmp_path, "title: T\n")[0]
    assert config.digest.per_page == 20 and config.related.auto == 5 and config.base_url is None
    assert [k.name for k in config.annotation_kinds] == ["context", "fact-check", "correction", "analysis"]
    assert _load(tmp_path, "base_url: https://x.org/news\n")[0].base_url == "https://x.org/news/"
    (tmp_path / "site.yaml").write_text("related:\n  auto: -1\nfeeds:\n  entries: 0\n  extra_key: 1\n")
    diags = Diagnostics()
    assert load_config(tmp_path, diags) is None
    assert [d.format() for d in diags.sorted()] == [
        "site.yaml:2: error: `related.auto` must be 0 or more",
        "site.yaml:4: error: `feeds.entries` must be at least 1",
        "site.yaml:5: error: unknown setting `feeds.extra_key`",
    ]
