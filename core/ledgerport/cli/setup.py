"""`ledgerport init` and `ledgerport config show`: the config file to start from, and what is in force."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from .main import cli, config_option, resolve_config

_HEADER = """\
# ledgerport config, written by `ledgerport init` for the plugins installed then.
#
# Every setting below can also come from the environment as LEDGERPORT_<PLUGIN>_<FIELD>
# (LEDGERPORT_KUCOIN_PAGE_SIZE=200, LEDGERPORT_ONEKONTO_ASSET=BTC), and `--set PLUGIN.FIELD=VALUE`
# wins over both. Keep credentials in the environment, or this file readable only by you.
# `ledgerport config show` prints what is in force and where each value comes from.
"""


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(str(value) if isinstance(value, Decimal) else value)


def _fields(plugin: str, cls: type) -> Iterator[str]:
    import attrs

    from ..engine.config import explain_settings, setting_variables

    if not attrs.has(cls) or not attrs.fields(cls):
        yield "# (no settings)"
        return
    variables = {f.alias: setting_variables(plugin, f) for f in attrs.fields(cls)}
    for row in explain_settings(cls, path=plugin, file_values={}, env={}, overrides={}):
        own = variables[row.field][0]
        if row.required:
            note = f"required; or ${own}" + (", kept secret" if row.secret else "")
            yield f'# {row.field} = "..."  # {note}'
        elif row.value is None:
            yield f'# {row.field} = "..."  # not set by default; or ${own}'
        else:
            yield f"# {row.field} = {_toml(row.value)}"


def template(registry: Any) -> str:
    """A config file with a table for every installed connector and sink, every setting commented out."""
    import attrs

    from ..engine.config import Books

    lines = [_HEADER]
    for connector in sorted(registry.connector_classes(), key=lambda c: c.name):
        lines.append(f"[connectors.{connector.name}]  # {connector.description}")
        base = _toml(connector.default_base_url) if connector.default_base_url else '"https://..."  # required'
        lines.append(f"# base_url = {base}")
        lines.append('# account = "..."' + ("  # required" if connector.needs_account else ""))
        lines.extend(_fields(connector.name, connector.settings_class))
        lines.append("")
    for sink in sorted(registry.sink_types(), key=lambda t: t.name):
        lines.append(f"[sinks.{sink.name}]  # {sink.description}")
        lines.extend(_fields(sink.name, sink.settings))
        lines.append("")
    lines.append("[books]  # the money values are written in (iif, qbo) and the price files")
    lines.extend(f"# {f.alias} = {_toml(f.default)}" for f in attrs.fields(Books))
    lines.append("")
    return "\n".join(lines)


@cli.command()
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace an existing file.")
def init(path: Path | None, force: bool) -> None:
    """Write a commented config file for the installed plugins, by default where ledgerport looks for
    one ($LEDGERPORT_CONFIG, else $XDG_CONFIG_HOME/ledgerport/config.toml)."""
    from ..engine.config import default_config_path
    from ..engine.plugins import default_registry

    path = path or default_config_path()
    if path.exists() and not force:
        raise click.UsageError(f"{path} exists: edit it, or give --force to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(template(default_registry()), encoding="utf-8")
    click.echo(f"wrote {path}: uncomment what you need; `ledgerport config show` checks it", err=True)


@cli.group()
def config() -> None:
    """The config file and the settings in force."""


@config.command()
@click.argument("plugins", nargs=-1, metavar="[PLUGIN]...")
@config_option
@click.option(
    "--set", "options", multiple=True, metavar="PLUGIN.FIELD=VALUE", help="A setting, as sync takes it; repeatable."
)
def show(plugins: tuple[str, ...], config_path: str | None, options: tuple[str, ...]) -> None:
    """Every setting of each installed plugin (or those named), its value and where it comes from:
    default, config file, an environment variable or --set. Secrets are masked."""
    import attrs

    from ..engine.config import Config, explain_settings, load_config, parse_assignments
    from ..engine.plugins import default_registry

    registry = default_registry()
    path = resolve_config(config_path)
    settings = load_config(path) if path else Config()
    click.echo(f"# config file: {path or 'none'}")
    overrides = parse_assignments(options)
    tables: list[tuple[str, str, type, dict[str, dict[str, Any]]]] = [
        ("connectors", c.name, c.settings_class, settings.connectors) for c in registry.connector_classes()
    ] + [("sinks", t.name, t.settings, settings.sinks) for t in registry.sink_types()]
    base_urls = {c.name: c.default_base_url for c in registry.connector_classes()}
    unknown = set(plugins) - {name for _, name, _, _ in tables}
    if unknown:
        raise click.UsageError(f"no installed plugin is called {', '.join(sorted(unknown))}")
    for group, name, cls, values in sorted(tables, key=lambda t: (t[0], t[1])):
        if plugins and name not in plugins:
            continue
        file_values = dict(values.get(name, {}))
        click.echo(f"[{group}.{name}]")
        if group == "connectors":  # the engine's own two keys
            for key, default in (("base_url", base_urls[name]), ("account", None)):
                given = file_values.pop(key, None)
                shown = _toml(given or default) if (given or default) else "(not set)"
                click.echo(f"  {key:<16} {shown:<28} {'config file' if given else 'default'}")
        if not attrs.has(cls):
            continue
        for row in explain_settings(
            cls, path=f"{group}.{name}", file_values=file_values, env=os.environ, overrides=overrides.get(name, {})
        ):
            if row.value is None:
                shown = "(not set, required)" if row.required else "(not set)"
            elif row.secret:
                shown = "********"
            else:
                shown = _toml(row.value)
            click.echo(f"  {row.field:<16} {shown:<28} {row.source}")
