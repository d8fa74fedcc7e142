from decimal import Decimal
from pathlib import Path

import attrs
import pytest

from ledgerport import ConfigError, Secret
from ledgerport.engine.config import Config, build_settings, load_config, parse_assignments


@attrs.frozen
class Settings:
    api_key: Secret = attrs.field(metadata={"env": "X_API_KEY"})
    page_size: int = 50
    currency: tuple[str, ...] = ()
    strict: bool = False
    minimum: Decimal = Decimal(0)


def settings(file: dict[str, object] | None = None, env: dict[str, str] | None = None, **overrides: str) -> Settings:
    return build_settings(Settings, path="connectors.x", file_values=file or {}, env=env or {}, overrides=overrides)


def test_file_then_environment_then_overrides() -> None:
    assert settings({"api_key": "file"}).api_key.reveal() == "file"
    assert settings({"api_key": "file"}, {"X_API_KEY": "env"}).api_key.reveal() == "env"
    assert settings({"api_key": "file"}, {"X_API_KEY": "env"}, api_key="cli").api_key.reveal() == "cli"


def test_command_line_strings_become_typed_values() -> None:
    got = settings(env={"X_API_KEY": "k"}, page_size="500", currency="BTC, ETH", strict="yes", minimum="0.1")
    assert (got.page_size, got.currency, got.strict, got.minimum) == (500, ("BTC", "ETH"), True, Decimal("0.1"))
    assert settings({"api_key": "k", "currency": ["A", "B"]}).currency == ("A", "B")


def test_errors_name_the_field_path_and_the_environment_variable() -> None:
    with pytest.raises(ConfigError, match=r"connectors\.x\.api_key.*X_API_KEY"):
        settings()
    with pytest.raises(ConfigError, match=r"connectors\.x\.page_size"):
        settings({"api_key": "k", "page_size": "many"})
    with pytest.raises(ConfigError, match=r"connectors\.x\.strict"):
        settings({"api_key": "k"}, strict="maybe")
    with pytest.raises(ConfigError, match=r"connectors\.x: extra fields found \(colour\)"):
        settings({"api_key": "k", "colour": "red"})
    with pytest.raises(ConfigError, match=r"connectors\.x\.minimum"):
        settings({"api_key": "k", "minimum": 0.1})


@attrs.frozen
class Bounded:
    page_size: int = attrs.field(default=50, validator=attrs.validators.le(500))


def test_a_settings_class_validator_says_what_is_wrong() -> None:
    with pytest.raises(ConfigError, match=r"^connectors\.x: 'page_size' must be <= 500: 900$"):
        build_settings(Bounded, path="connectors.x", file_values={}, env={}, overrides={"page_size": "900"})


def test_a_bad_secret_value_is_not_echoed() -> None:
    with pytest.raises(ConfigError) as info:
        settings({"api_key": 12345678})
    assert "12345678" not in str(info.value)


def test_load_config(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[connectors.x]\napi_key = "k"\n[sinks.csv]\n')
    assert load_config(path) == Config(connectors={"x": {"api_key": "k"}}, sinks={"csv": {}})
    path.write_text("[connectorz.x]\n")
    with pytest.raises(ConfigError, match="connectorz"):
        load_config(path)
    path.write_text("[connectors.x\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")


def test_parse_assignments() -> None:
    assert parse_assignments(["kucoin.currency=BTC,ETH", "csv.x=a=b"]) == {
        "kucoin": {"currency": "BTC,ETH"},
        "csv": {"x": "a=b"},
    }
    for bad in ("nodot=1", "a.b", ".b=1"):
        with pytest.raises(ConfigError, match=r"PLUGIN\.FIELD=VALUE"):
            parse_assignments([bad])


def test_every_field_can_come_from_a_ledgerport_variable_which_wins_over_its_own() -> None:
    env = {"X_API_KEY": "own", "LEDGERPORT_X_PAGE_SIZE": "7", "LEDGERPORT_X_CURRENCY": "BTC,ETH"}
    got = settings(env=env)
    assert (got.api_key.reveal(), got.page_size, got.currency) == ("own", 7, ("BTC", "ETH"))
    assert settings(env={**env, "LEDGERPORT_X_API_KEY": "ours"}).api_key.reveal() == "ours"
    assert settings(env={"LEDGERPORT_X_API_KEY": "k", "LEDGERPORT_X_PAGE_SIZE": "8"}, page_size="9").page_size == 9


def test_a_missing_field_names_both_variables() -> None:
    with pytest.raises(ConfigError, match=r"environment: X_API_KEY or LEDGERPORT_X_API_KEY\)$"):
        settings()


def test_explain_settings_says_where_each_value_comes_from() -> None:
    from ledgerport.engine.config import Origin, explain_settings

    rows = explain_settings(
        Settings,
        path="connectors.x",
        file_values={"page_size": 10},
        env={"X_API_KEY": "k", "LEDGERPORT_X_STRICT": "yes"},
        overrides={"minimum": "0.5"},
    )
    assert rows == [
        Origin("api_key", "k", "$X_API_KEY", secret=True, required=True),
        Origin("page_size", 10, "config file", secret=False, required=False),
        Origin("currency", (), "default", secret=False, required=False),
        Origin("strict", "yes", "$LEDGERPORT_X_STRICT", secret=False, required=False),
        Origin("minimum", "0.5", "--set", secret=False, required=False),
    ]
    missing = explain_settings(Settings, path="connectors.x", file_values={}, env={}, overrides={})[0]
    assert (missing.value, missing.source) == (None, "not set")


def test_the_default_config_path(tmp_path: Path) -> None:
    from ledgerport.engine.config import default_config_path

    assert default_config_path({"LEDGERPORT_CONFIG": "/etc/lp.toml", "XDG_CONFIG_HOME": "/x"}) == Path("/etc/lp.toml")
    assert default_config_path({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "ledgerport" / "config.toml"
    assert default_config_path({}) == Path.home() / ".config" / "ledgerport" / "config.toml"
