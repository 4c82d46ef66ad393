"""`.env.example` documents every variable the product reads, and a copy of it (what `docker compose` hands the
containers as `.env`) changes no setting: each value written there is the built-in default."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "config" / "settings.py"
ENV_EXAMPLE = ROOT / ".env.example"
COMPOSE = ROOT / "docker-compose.yml"

_NAME = re.compile(r"[A-Z][A-Z0-9_]*")


def _is_env_reader(func: ast.expr, helpers: set[str]) -> bool:
    """env(...), env.<cast>(...), os.environ.get(...), os.getenv(...), or a settings helper that wraps one."""
    if isinstance(func, ast.Name):
        return func.id in {"env", *helpers}
    if isinstance(func, ast.Attribute):
        owner = func.value
        if isinstance(owner, ast.Name) and owner.id == "env":
            return True
        if isinstance(owner, ast.Name) and owner.id == "os" and func.attr == "getenv":
            return True
        return (
            func.attr == "get"
            and isinstance(owner, ast.Attribute)
            and owner.attr == "environ"
            and isinstance(owner.value, ast.Name)
            and owner.value.id == "os"
        )
    return False


def env_reads(source: str) -> set[str]:
    """Names of the environment variables a settings module reads, found in its syntax tree (f-strings too)."""
    tree = ast.parse(source)
    # A module function that passes its own argument to an env reader (like settings' `_str`) is a reader too.
    helpers = {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and any(
            isinstance(call, ast.Call)
            and _is_env_reader(call.func, set())
            and call.args
            and isinstance(call.args[0], ast.Name)
            for call in ast.walk(node)
        )
    }
    names = set()
    for node in ast.walk(tree):
        key: ast.expr | None = None
        if isinstance(node, ast.Call) and node.args and _is_env_reader(node.func, helpers):
            key = node.args[0]
        elif (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "environ"
        ):
            key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str) and _NAME.fullmatch(key.value):
            names.add(key.value)
    return names


def example_values(text: str) -> dict[str, str]:
    """NAME=value lines of an env file: what a copy of it sets."""
    values = {}
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if sep and _NAME.fullmatch(name):
            values[name] = value
    return values


def example_documented(text: str) -> set[str]:
    """Names set in an env file, or shown commented out ("# NAME=") where no value means the default, e.g. one
    that differs between development and production."""
    # A whole line "# NAME=" or "# NAME=value", not prose that happens to start with NAME=.
    commented = re.findall(r"^# ?([A-Z][A-Z0-9_]*)=\S*$", text, flags=re.MULTILINE)
    return example_values(text).keys() | set(commented)


def compose_variables(text: str) -> set[str]:
    """${NAME}, ${NAME:-default}, ${NAME:?message} in a compose file; $${NAME} is the container's own shell."""
    return set(re.findall(r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)", text))


def test_the_parser_finds_every_kind_of_environment_read():
    source = """
import os
def _str(name, default):
    return env.str(name, default="") or default
A = env.int("READ_INT", default=1)
B = env.bool("READ_BOOL", default=False)
C = env.list("READ_LIST", default=[])
D = _str("READ_BY_HELPER", "x")
E = f"-c work_mem={_str('READ_IN_FSTRING', '32MB')}"
F = os.environ.get("READ_OS_GET") or "y"
G = os.environ["READ_OS_ITEM"]
H = os.getenv("READ_GETENV")
I = env("READ_CALL")
J = env.db_url_config(_str("READ_NESTED", "sqlite://"))
K = logging.getLogger("NOT_AN_ENV_READ")
L = _("NOT_EITHER")
"""
    assert env_reads(source) == {
        "READ_INT",
        "READ_BOOL",
        "READ_LIST",
        "READ_BY_HELPER",
        "READ_IN_FSTRING",
        "READ_OS_GET",
        "READ_OS_ITEM",
        "READ_GETENV",
        "READ_CALL",
        "READ_NESTED",
    }


def test_every_variable_settings_reads_is_documented_in_env_example():
    reads = env_reads(SETTINGS.read_text(encoding="utf-8"))
    # The parser sees the real module: a plain read, one inside an f-string, and the os.environ one.
    assert {"SECRET_KEY", "REDIS_URL", "PG_WORK_MEM", "VAR_DIR", "REMINDER_SWEEP_SECONDS"} <= reads
    missing = sorted(reads - example_documented(ENV_EXAMPLE.read_text(encoding="utf-8")))
    assert not missing, (
        f"config/settings.py reads {missing} but .env.example does not document them: add a comment line "
        "'# what it is   # default' and NAME=<the default, or blank where blank means the default>, or "
        "'# NAME=' where only leaving it unset gives the default"
    )


def test_a_setting_added_without_documentation_is_caught():
    source = SETTINGS.read_text(encoding="utf-8") + '\nNEW = env.int("UNDOCUMENTED_NEW_SETTING", default=3)\n'
    documented = example_documented(ENV_EXAMPLE.read_text(encoding="utf-8"))
    assert "UNDOCUMENTED_NEW_SETTING" in env_reads(source) - documented


def test_a_commented_out_name_counts_as_documented_but_sets_nothing():
    text = "# shown, unset   # depends on DJANGO_ENV\n# SHOWN_ONLY=\nSET=1\n# PROSE=production refuses it\n"
    assert example_documented(text) == {"SHOWN_ONLY", "SET"}
    assert example_values(text) == {"SET": "1"}


def test_every_variable_the_compose_file_uses_is_documented_in_env_example():
    used = compose_variables(COMPOSE.read_text(encoding="utf-8"))
    assert {"POSTGRES_PASSWORD", "CAPTURE_ALLOWED_HOSTS"} <= used
    assert "HOSTNAME" not in used  # $${HOSTNAME} belongs to the container's shell
    missing = sorted(used - example_documented(ENV_EXAMPLE.read_text(encoding="utf-8")))
    assert not missing, f"docker-compose.yml uses {missing}, which .env.example does not document"


# --- A copy of .env.example changes no setting ------------------------------------------------------------------

DUMP = (
    "import json, django; django.setup(); from django.conf import settings;"
    "print(json.dumps({k: getattr(settings, k) for k in dir(settings) if k.isupper()},"
    " default=str, sort_keys=True))"
)
# The values docker compose puts beside the copied .env (docker-compose.yml's `environment:`), in production.
PRODUCTION = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "k" * 50,
    "DATABASE_URL": "postgres://pipeline:secret@db:5432/pipeline",
    "REDIS_URL": "redis://redis:6379/0",
    "CELERY_BROKER_URL": "redis://redis:6379/1",
    "ALLOWED_HOSTS": "pipeline.example.gov.cn",
}


def settings_dump(variables: dict[str, str]) -> dict[str, object]:
    example = example_values(ENV_EXAMPLE.read_text(encoding="utf-8"))
    ours = example.keys() | env_reads(SETTINGS.read_text(encoding="utf-8"))
    # Nothing from the calling shell (CI's DATABASE_URL, say) may leak into either side of the comparison.
    base = {k: v for k, v in os.environ.items() if k not in ours}
    result = subprocess.run(
        [sys.executable, "-c", DUMP],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", "PYTHONHASHSEED": "0", **variables},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("mode", ["development", "production"])
def test_a_copy_of_env_example_keeps_every_default(mode):
    """A blank where a number is read crashes start-up (int('')); a blank rate or a blank 'true' default silently
    changes behaviour. So each value in .env.example must mean exactly the default."""
    overrides = PRODUCTION if mode == "production" else {}
    example = example_values(ENV_EXAMPLE.read_text(encoding="utf-8"))
    defaults = settings_dump(overrides)
    copied = settings_dump({**example, **overrides})
    changed = sorted(k for k in defaults.keys() | copied.keys() if defaults.get(k) != copied.get(k))
    assert not changed, f"a copy of .env.example changes these settings: {changed}"
