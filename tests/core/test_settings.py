"""Config files: every problem reported with file, line, key and what was expected; env overrides; secrets."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, SecretStr

from casehub.errors import ConfigError
from casehub.config_file import load_settings, read_config_file


class CrmSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str
    password: SecretStr


def load(tmp_path: Path, text: str | bytes, plugins: dict[str, type[BaseModel]] | None = None):  # type: ignore[no-untyped-def]
    path = tmp_path / "casehub.toml"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return load_settings(read_config_file(path), plugins or {})


def issues(tmp_path: Path, text: str | bytes, plugins: dict[str, type[BaseModel]] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text, plugins)
    return [str(i) for i in caught.value.issues]


def test_defaults_file_values_and_env_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEHUB_SERVER__PORT", "9001")
    settings = load(tmp_path, '[server]\nhost = "0.0.0.0"\nport = 8001\n')

    assert (settings.server.host, settings.server.port) == ("0.0.0.0", 9001)
    assert settings.casehub.database_url == "sqlite:///casehub.db"
    assert settings.server.max_body_bytes == 1_048_576


def test_unknown_key_is_reported_with_file_line_and_key(tmp_path: Path) -> None:
    found = issues(tmp_path, '[casehub]\nlog_level = "INFO"\n\n[server]\nhost = "x"\nprot = 8000\n')

    assert found == [f"{tmp_path / 'casehub.toml'}:6: [server] prot: unknown key (check the spelling; see the config reference)"]


def test_misspelt_section_gets_a_suggestion(tmp_path: Path) -> None:
    found = issues(tmp_path, '[crn]\nurl = "https://x"\n', {"crm": CrmSettings})

    assert len(found) == 1 and ":1: [crn]" in found[0] and "did you mean [crm]?" in found[0]


def test_every_wrong_value_is_reported_not_just_the_first(tmp_path: Path) -> None:
    found = issues(tmp_path, '[server]\nport = "eighty"\n\n[sla]\ntimezone = "Mars/Olympus"\n')

    assert any(":2: [server] port: Input should be a valid integer" in f for f in found)
    assert any(":5: [sla] timezone:" in f and "unknown time zone 'Mars/Olympus'" in f for f in found)


def test_a_bad_environment_value_names_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEHUB_SERVER__PORT", "notanumber")

    assert issues(tmp_path, "") == [
        "environment variable CASEHUB_SERVER__PORT: [server] port: Input should be a valid integer, "
        "unable to parse string as an integer"
    ]


def test_syntax_errors_and_wrong_encoding_give_the_line(tmp_path: Path) -> None:
    assert ":3: (syntax): not valid TOML" in issues(tmp_path, '[server]\nport = 1\nhost = \n')[0]
    assert ":2: (file): is not valid UTF-8" in issues(tmp_path, b'[server]\nhost = "caf\xe9"\n')[0]


def test_a_missing_file_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="casehub init"):
        read_config_file(tmp_path / "nope.toml")


def test_secrets_never_appear_in_errors_or_in_the_settings_repr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEHUB_CRM__PASSWORD", "hunter2-very-secret")
    settings = load(tmp_path, '[crm]\nurl = "https://crm.example"\n\n[api]\ntokens = ["a-token-long-enough-0123"]\n', {"crm": CrmSettings})
    assert settings.section("crm").password.get_secret_value() == "hunter2-very-secret"
    assert "hunter2" not in repr(settings) and "a-token-long" not in repr(settings)

    found = issues(tmp_path, '[api]\ntokens = ["short-secret"]\n')
    assert "at least 16 characters" in found[0] and "short-secret" not in "".join(found)


def test_plugin_sections_are_strict_too(tmp_path: Path) -> None:
    found = issues(tmp_path, '[crm]\nurl = "https://x"\npassword = "p"\ncolour = "red"\n', {"crm": CrmSettings})

    assert found == [f"{tmp_path / 'casehub.toml'}:4: [crm] colour: unknown key (check the spelling; see the config reference)"]


def test_named_tokens_with_read_only_flag(tmp_path: Path) -> None:
    settings = load(tmp_path, '[[api.tokens]]\nname = "grafana"\ntoken = "0123456789abcdef-ro"\nread_only = true\n')

    token = settings.api.tokens[0]
    assert (token.name, token.read_only, token.token.get_secret_value()) == ("grafana", True, "0123456789abcdef-ro")
