"""The deploy files start real modules, app factories, queues and migrations, with settings the suite reads.

Docker and Kubernetes do not run here, so each file is read the way its runner reads it (compose
interpolation, the image's default CMD, Kubernetes' $(VAR), `sh -c`) and every gunicorn, celery and
flask command that would start is checked against the code.
"""
from __future__ import annotations

import copy
import functools
import importlib
import inspect
import json
import os
import re
import runpy
import shlex
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from celery import Celery
from sqlalchemy.engine import make_url

from shared.config import DEFAULT_PORTS, SERVICES, ConfigurationError, Settings

REPO = Path(__file__).resolve().parent.parent
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "k8s"
IMAGE = "canteen-suite:latest"
PART_OF = {"app.kubernetes.io/part-of": "canteen-suite"}
# What an operator exports before `docker compose up`, and what the container runtime sets.
HOST_ENV = {"SECRET_KEY": "s" * 48, "SMTP_HOST": "smtp.example.cn", "MAIL_FROM": "canteen@example.cn"}
RUNTIME_ENV = {"HOSTNAME": "c0ffee", "HOME": "/home/app"}


# ---------------------------------------------------------------- commands and variables

@dataclass
class Command:
    where: str
    argv: list[str]
    env: dict[str, str]

    @property
    def program(self) -> str:
        return Path(self.argv[0]).name


class UnsetVariable(LookupError):
    pass


_VAR = r"\$(?:\{(\w+)(?:(:?[-?])([^}]*))?\}|(\w+))"


def _substitute(match: re.Match, env: dict, where: str) -> str:
    name, operator, word = match.group(1) or match.group(4), match.group(2), match.group(3)
    value = env.get(name)
    missing = value is None or (value == "" and bool(operator) and operator.startswith(":"))
    if operator and operator.endswith("-"):
        return word if missing else value
    if missing and (operator or value is None):
        # A shell would put an empty string here; in a deploy command that is always a bug.
        raise UnsetVariable(f"{where}: ${name} is not set")
    return value


def expand_shell(text: str, env: dict, where: str) -> str:
    return re.sub(_VAR, lambda m: _substitute(m, env, where), text)


def interpolate_compose(value, host_env: dict):
    if isinstance(value, str):
        return re.sub(r"\$\$|" + _VAR, lambda m: "$" if m.group(0) == "$$" else
                      _substitute(m, host_env, "docker-compose.yml"), value)
    if isinstance(value, dict):
        return {key: interpolate_compose(item, host_env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate_compose(item, host_env) for item in value]
    return value


def expand_kubernetes(text: str, env: dict, where: str) -> str:
    def substitute(match):
        if match.group(1) not in env:
            raise UnsetVariable(f"{where}: $({match.group(1)}) is not set")
        return env[match.group(1)]

    return re.sub(r"\$\((\w+)\)", substitute, text)


def shell_commands(text: str, env: dict, where: str) -> list[Command]:
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    pieces, current = [], []
    for token in lexer:
        if token in {"&&", "||", ";", "|", "&"}:
            pieces.append(current)
            current = []
        else:
            current.append(token)
    pieces.append(current)
    return [command for argv in pieces if argv
            for command in simple_commands([expand_shell(token, env, where) for token in argv], env, where)]


def simple_commands(argv: list[str], env: dict, where: str) -> list[Command]:
    while argv and (argv[0] == "exec" or re.fullmatch(r"\w+=.*", argv[0])):
        argv = argv[1:]
    if len(argv) >= 3 and Path(argv[0]).name in {"sh", "bash"} and argv[1] == "-c":
        return shell_commands(argv[2], env, where)
    return [Command(where, argv, env)] if argv else []


# ---------------------------------------------------------------- checking gunicorn, celery and flask

GUNICORN_OPTIONS = {"-c": "config", "--config": "config", "-b": "bind", "--bind": "bind", "-w": "workers",
                    "--workers": "workers", "-k": "worker-class", "--worker-class": "worker-class",
                    "-t": "timeout", "--timeout": "timeout", "--chdir": "chdir", "-e": "env", "--env": "env",
                    "--log-level": "log-level", "-n": "name", "--name": "name"}
CELERY_OPTIONS = {"-A": "app", "--app": "app", "-Q": "queues", "--queues": "queues", "-s": "schedule",
                  "--schedule": "schedule", "-l": "loglevel", "--loglevel": "loglevel", "-c": "concurrency",
                  "--concurrency": "concurrency", "-n": "hostname", "--hostname": "hostname",
                  "-d": "destination", "--destination": "destination", "--timeout": "timeout",
                  "--port": "port", "-P": "pool", "--pool": "pool", "-b": "broker", "--broker": "broker"}
FLASK_OPTIONS = {"-A": "app", "--app": "app", "-e": "env-file", "--env-file": "env-file"}
CELERY_SUBCOMMANDS = {"worker", "beat", "flower", "inspect", "status", "events"}


def parse_options(argv: list[str], known: dict[str, str]) -> tuple[dict[str, list], list[str]]:
    options, positionals = {}, []
    items = iter(argv)
    for item in items:
        if item.startswith("--") and "=" in item:
            key, value = item.split("=", 1)
            options.setdefault(known.get(key, key), []).append(value)
        elif item in known:
            options.setdefault(known[item], []).append(next(items, None))
        elif item.startswith("-"):
            options.setdefault(item, []).append(True)
        else:
            positionals.append(item)
    return options, positionals


def _import(module_name: str):
    try:
        return importlib.import_module(module_name), None
    except Exception as exc:  # a misspelled module, or one that breaks on import
        return None, f"cannot import {module_name}: {type(exc).__name__}: {exc}"


def gunicorn_problems(command: Command) -> list[str]:
    options, positionals = parse_options(command.argv[1:], GUNICORN_OPTIONS)
    problems = [] if options.get("config") else ["runs gunicorn without -c deploy/gunicorn.conf.py"]
    problems += [f"gunicorn config {path} does not exist" for path in options.get("config", [])
                 if not (REPO / path).is_file()]
    problems += [f"bind {bind} has no port" for bind in options.get("bind", [])
                 if not bind.rpartition(":")[2].isdigit()]
    if len(positionals) != 1:
        return problems + [f"gunicorn needs exactly one app, got {positionals}"]
    module_name, _, attribute = positionals[0].partition(":")
    module, error = _import(module_name)
    if error:
        return problems + [error]
    calls = attribute.endswith("()")
    target = getattr(module, attribute.removesuffix("()") or "application", None)
    if not callable(target):
        return problems + [f"{module_name} has no app factory {attribute!r}"]
    if calls:
        try:
            inspect.signature(target).bind()
        except TypeError:
            problems.append(f"{positionals[0]} cannot be called without arguments")
    elif inspect.isfunction(target):
        problems.append(f"{positionals[0]} names a factory without calling it: gunicorn would serve the function")
    return problems


@functools.cache
def celery_app(name: str) -> tuple[Celery | None, str | None]:
    module_name, _, attribute = name.partition(":")
    module, error = _import(module_name)
    if error:
        return None, error
    app = getattr(module, attribute or "app", None)
    return (app, None) if isinstance(app, Celery) else (None, f"{module_name} has no Celery app {attribute or 'app'!r}")


def celery_problems(command: Command) -> list[str]:
    options, positionals = parse_options(command.argv[1:], CELERY_OPTIONS)
    if not options.get("app"):
        return ["runs celery without -A"]
    app, error = celery_app(options["app"][0])
    problems = [error] if error else []
    subcommand = positionals[0] if positionals else None
    if subcommand not in CELERY_SUBCOMMANDS:
        problems.append(f"unknown celery subcommand {subcommand!r}")
    queues = [queue for value in options.get("queues", []) for queue in value.split(",")]
    if subcommand == "worker" and not queues:
        problems.append("a worker without -Q consumes only the default queue")
    for queue in queues:
        if queue not in SERVICES:
            problems.append(f"queue {queue!r} is not one of {SERVICES}")
        elif app is not None and f"{queue}.handle_event" not in app.tasks:
            problems.append(f"{options['app'][0]} has no task {queue}.handle_event for queue {queue}")
    if subcommand == "beat":
        schedules = options.get("schedule") or [None]
        var_dir = Path(command.env.get("VAR_DIR", "var"))
        if schedules[0] is None or Path(schedules[0]).parent != var_dir:
            problems.append(f"beat keeps its schedule at {schedules[0]}, not in VAR_DIR {var_dir}")
    return problems


@functools.cache
def flask_commands(module_name: str) -> tuple[frozenset[str], str | None]:
    module, error = _import(module_name)
    if error:
        return frozenset(), error
    factory = getattr(module, "create_app", None)
    if not callable(factory):
        return frozenset(), f"{module_name} has no create_app"
    with tempfile.TemporaryDirectory() as var_dir:
        app = factory(Settings(env="test", var_dir=Path(var_dir)))
        app.extensions["database"].dispose()
    return frozenset(app.cli.commands), None


def flask_problems(command: Command) -> list[str]:
    options, positionals = parse_options(command.argv[1:], FLASK_OPTIONS)
    if not options.get("app"):
        return ["runs flask without --app"]
    module_name = options["app"][0].partition(":")[0]
    commands, error = flask_commands(module_name)
    if error:
        return [error]
    subcommand = positionals[0] if positionals else None
    problems = [] if subcommand in commands else [f"{module_name} has no flask command {subcommand!r}"]
    if subcommand == "db-upgrade":
        service = module_name.removeprefix("services.")
        if service not in SERVICES:
            return problems + [f"{module_name} is not one of the services {SERVICES}"]
        migrations = importlib.import_module(module_name).SPEC.migrations_dir
        if not (migrations / "env.py").is_file() or not list((migrations / "versions").glob("*.py")):
            problems.append(f"{module_name} has no migrations in {migrations}")
    return problems


CHECKERS = {"gunicorn": gunicorn_problems, "celery": celery_problems, "flask": flask_problems}


def problems_of(commands: list[Command]) -> list[str]:
    return [f"{command.where}: `{shlex.join(command.argv)}`: {problem}"
            for command in commands for problem in CHECKERS.get(command.program, lambda _: [])(command)]


def gunicorn_app_and_port(command: Command) -> tuple[str, int]:
    options, positionals = parse_options(command.argv[1:], GUNICORN_OPTIONS)
    service = positionals[0].partition(":")[0].removeprefix("services.")
    return service, int(options["bind"][0].rpartition(":")[2])


def celery_subcommand_and_queues(command: Command) -> tuple[str, list[str]]:
    options, positionals = parse_options(command.argv[1:], CELERY_OPTIONS)
    return positionals[0], [queue for value in options.get("queues", []) for queue in value.split(",")]


def migrated_services(commands: list[Command]) -> list[str]:
    return [parse_options(c.argv[1:], FLASK_OPTIONS)[0]["app"][0].removeprefix("services.")
            for c in commands if c.program == "flask" and "db-upgrade" in c.argv]


# ---------------------------------------------------------------- the Procfile

def procfile() -> dict[str, str]:
    entries = {}
    for number, line in enumerate((DEPLOY / "Procfile").read_text().splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            name, separator, command = line.partition(":")
            entries[name.strip() or f"line {number}"] = command.strip() if separator else ""
    return entries


def procfile_commands(name: str) -> list[Command]:
    # honcho runs each line through a shell with the caller's environment.
    return shell_commands(procfile()[name], {}, f"Procfile {name}")


# ---------------------------------------------------------------- the Dockerfile

@dataclass
class Stage:
    name: str | None
    base: str
    env: dict[str, str] = field(default_factory=dict)
    cmd: list[str] | None = None
    healthcheck: list[str] | None = None
    user: str = "root"
    runs: list[str] = field(default_factory=list)
    copies: list[str] = field(default_factory=list)
    entrypoint: list[str] | None = None


def dockerfile_instructions() -> list[tuple[str, str]]:
    lines, pending = [], ""
    for raw in (DEPLOY / "Dockerfile").read_text().splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    return [(keyword.upper(), rest) for keyword, rest in ((line.split(None, 1) + [""])[:2] for line in lines)]


def _exec_or_shell(text: str) -> list[str]:
    return json.loads(text) if text.lstrip().startswith("[") else ["/bin/sh", "-c", text]


@functools.cache
def dockerfile_stages() -> tuple[Stage, ...]:
    stages: list[Stage] = []
    for keyword, rest in dockerfile_instructions():
        if keyword == "FROM":
            words = rest.split()
            parent = next((stage for stage in stages if stage.name == words[0]), None)
            stages.append(copy.deepcopy(parent) if parent else Stage(None, words[0]))
            stages[-1].name = words[2] if len(words) > 2 and words[1].upper() == "AS" else None
            continue
        stage = stages[-1]
        if keyword == "ENV":
            tokens = shlex.split(rest)
            stage.env.update(dict(token.split("=", 1) for token in tokens) if "=" in tokens[0]
                             else {tokens[0]: " ".join(tokens[1:])})
        elif keyword == "CMD":
            stage.cmd = _exec_or_shell(rest)
        elif keyword == "ENTRYPOINT":
            stage.entrypoint = _exec_or_shell(rest)
        elif keyword == "HEALTHCHECK":
            match = re.fullmatch(r"(?:--\S+\s+)*CMD\s+(.*)", rest, re.S)
            stage.healthcheck = _exec_or_shell(match.group(1)) if match else None
        elif keyword == "USER":
            stage.user = rest.strip()
        elif keyword == "RUN":
            stage.runs.append(rest)
        elif keyword == "COPY":
            stage.copies.append(rest)
    return tuple(stages)


def image_stage(target: str | None = None) -> Stage:
    stages = dockerfile_stages()
    if target is None:
        return stages[-1]  # what `docker build` makes without --target
    matches = [stage for stage in stages if stage.name == target]
    assert matches, f"the Dockerfile has no stage {target!r}"
    return matches[0]


# ---------------------------------------------------------------- docker-compose.yml

def compose_file() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


def compose_services(host_env: dict = HOST_ENV) -> dict[str, dict]:
    return interpolate_compose(compose_file()["services"], host_env)


def compose_stage(service: dict) -> Stage | None:
    build = service.get("build")
    if build is not None:
        return image_stage(build.get("target") if isinstance(build, dict) else None)
    return image_stage() if service.get("image") == IMAGE else None


def compose_app_names() -> list[str]:
    return [name for name, service in compose_file()["services"].items() if compose_stage(service)]


def compose_environment(service: dict) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return {key: "" if value is None else str(value) for key, value in environment.items()}


def compose_env(name: str) -> dict[str, str]:
    service = compose_services()[name]
    return {**compose_stage(service).env, **RUNTIME_ENV, **compose_environment(service)}


def compose_commands(name: str) -> list[Command]:
    service, env = compose_services()[name], compose_env(name)
    command = service.get("command")
    argv = shlex.split(command) if isinstance(command, str) else command or compose_stage(service).cmd
    return simple_commands(list(argv or []), env, f"compose {name}")


def compose_healthcheck(name: str) -> list[Command] | None:
    service = compose_services()[name]
    check = service.get("healthcheck")
    if check is None:
        stage = compose_stage(service)
        argv = stage.healthcheck if stage else None
    elif check.get("disable"):
        argv = None
    else:
        test = check["test"]
        argv = (["/bin/sh", "-c", test] if isinstance(test, str) else None if test[0] == "NONE"
                else test[1:] if test[0] == "CMD" else ["/bin/sh", "-c", test[1]])
    env = compose_env(name) if compose_stage(service) else {}
    return simple_commands(argv, env, f"compose {name} healthcheck") if argv else None


def compose_web() -> dict[str, tuple[str, int]]:
    """Service module name -> (compose service, gunicorn port)."""
    web = {}
    for name in compose_app_names():
        for command in compose_commands(name):
            if command.program == "gunicorn":
                service, port = gunicorn_app_and_port(command)
                web[service] = (name, port)
    return web


# ---------------------------------------------------------------- Kubernetes

def k8s_documents() -> list[tuple[str, dict]]:
    return [(path.name, doc) for path in sorted(K8S.glob("*.yaml"))
            for doc in yaml.safe_load_all(path.read_text()) if doc]


def k8s_named(kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for _, doc in k8s_documents() if doc["kind"] == kind}


def k8s_containers() -> list[tuple[str, dict, dict]]:
    """(where, workload, container) for every container of every Deployment and Job."""
    return [(f"{file} {doc['kind']}/{doc['metadata']['name']}/{container['name']}", doc, container)
            for file, doc in k8s_documents() if doc["kind"] in {"Deployment", "Job"}
            for container in doc["spec"]["template"]["spec"]["containers"]]


def k8s_set_env(container: dict) -> dict[str, str]:
    """What the manifests put into the container's environment."""
    configmaps, secrets = k8s_named("ConfigMap"), k8s_named("Secret")
    env = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            name = source["configMapRef"]["name"]
            assert name in configmaps, f"envFrom names ConfigMap {name}, which no file defines"
            env.update(configmaps[name].get("data", {}))
        if "secretRef" in source:
            name = source["secretRef"]["name"]
            assert name in secrets, f"envFrom names Secret {name}, which no file defines"
            env.update(secrets[name].get("stringData", {}))
    env.update({item["name"]: str(item.get("value", "")) for item in container.get("env", [])})
    return env


def k8s_commands(where: str, container: dict) -> list[Command]:
    stage = image_stage()
    env = {**stage.env, **RUNTIME_ENV, **k8s_set_env(container)}
    command, args = container.get("command"), container.get("args")
    expand = lambda items: [expand_kubernetes(str(item), env, where) for item in items or []]  # noqa: E731
    argv = expand(command) + expand(args) if command else expand(args) if args else stage.cmd
    return simple_commands(list(argv), env, where)


def selects(service: dict, workload: dict) -> bool:
    return service["spec"]["selector"].items() <= workload["spec"]["template"]["metadata"]["labels"].items()


def container_port(container: dict, reference) -> int | None:
    for port in container.get("ports", []):
        if reference in (port["containerPort"], port.get("name")):
            return port["containerPort"]
    return None


def k8s_web() -> dict[str, tuple[dict, dict, int]]:
    """Service module name -> (Deployment, container, gunicorn port)."""
    web = {}
    for where, doc, container in k8s_containers():
        for command in k8s_commands(where, container):
            if command.program == "gunicorn":
                service, port = gunicorn_app_and_port(command)
                web[service] = (doc, container, port)
    return web


# ---------------------------------------------------------------- settings the suite reads

class _RecordingEnv(dict):
    def __init__(self):
        super().__init__()
        self.read: set[str] = set()

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self.read.add(key)
        return super().__contains__(key)


@functools.cache
def env_vars_the_suite_reads() -> frozenset[str]:
    settings_env, gunicorn_env = _RecordingEnv(), _RecordingEnv()
    Settings.from_env(settings_env)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "environ", gunicorn_env)
        runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    image_command = " ".join(image_stage().cmd)
    return frozenset(settings_env.read | gunicorn_env.read | set(re.findall(r"\$\{?(\w+)", image_command)))


def stray_env_vars(names) -> set[str]:
    return set(names) - env_vars_the_suite_reads()


# ================================================================ tests: the checks themselves

@pytest.mark.parametrize("line", [
    "gunicorn -c deploy/gunicorn.conf.py -b 0.0.0.0:5001 'services.procurment:create_app()'",
    "gunicorn -c deploy/gunicorn.conf.py -b 0.0.0.0:5001 'services.procurement:create_ap()'",
    "gunicorn -c deploy/gunicorn.conf.py -b 0.0.0.0:5001 services.procurement:create_app",
    "gunicorn -c deploy/gunicorn.cfg.py -b 0.0.0.0:5001 'services.procurement:create_app()'",
    "gunicorn -b 0.0.0.0:5001 'services.procurement:create_app()'",
    "celery -A services.wroker worker -Q procurement",
    "celery -A shared.config worker -Q procurement",
    "celery -A services.worker worker -Q procurement,inventroy",
    "celery -A services.worker worker",
    "celery -A services.worker wrker -Q procurement",
    "celery -A services.worker beat -s /tmp/celerybeat-schedule",
    "flask --app services.purchasing db-upgrade",
    "flask --app services.procurement db-upgrad",
    "sh -c 'exec celery -A services.worker worker -Q supplier-portal'",
])
def test_the_checks_reject_a_misspelled_or_missing_name(line):
    assert problems_of(shell_commands(line, {"VAR_DIR": "/app/var"}, "example"))


@pytest.mark.parametrize("line", [
    "gunicorn -c deploy/gunicorn.conf.py -b 0.0.0.0:5001 'services.procurement:create_app()'",
    "celery -A services.worker worker -Q procurement,inventory,supplier_portal",
    "celery -A services.worker beat -s /app/var/celerybeat-schedule",
    "flask --app services.supplier_portal db-upgrade",
])
def test_the_checks_accept_a_correct_command(line):
    assert problems_of(shell_commands(line, {"VAR_DIR": "/app/var"}, "example")) == []


def test_a_variable_a_command_needs_but_nobody_sets_is_an_error():
    with pytest.raises(UnsetVariable):
        shell_commands('gunicorn -b "0.0.0.0:${PORT}"', {}, "example")
    assert shell_commands('x "${VAR_DIR:-var}/s"', {}, "example")[0].argv == ["x", "var/s"]


def test_the_settings_check_catches_a_variable_the_suite_does_not_read():
    assert stray_env_vars({"SECRET_KEY", "PROCUREMENT_DATABASE_URL", "GUNICORN_WORKERS", "PORT"}) == set()
    assert stray_env_vars({"SECRETKEY", "PROCUREMENT_DB_URL"}) == {"SECRETKEY", "PROCUREMENT_DB_URL"}


# ================================================================ tests: the Procfile

@pytest.mark.parametrize("name", list(procfile()))
def test_every_procfile_command_names_an_importable_module(name):
    commands = procfile_commands(name)
    assert [c for c in commands if c.program in CHECKERS], f"Procfile {name}: no gunicorn, celery or flask command"
    assert problems_of(commands) == []


def test_the_procfile_serves_every_service_and_consumes_every_queue():
    commands = [command for name in procfile() for command in procfile_commands(name)]
    served = {gunicorn_app_and_port(c) for c in commands if c.program == "gunicorn"}
    assert served == {(service, DEFAULT_PORTS[service]) for service in SERVICES}
    queues = [queue for c in commands if c.program == "celery"
              for subcommand, names in [celery_subcommand_and_queues(c)] if subcommand == "worker" for queue in names]
    assert sorted(queues) == sorted(SERVICES)


# ================================================================ tests: the Dockerfile

def test_the_image_is_python_3_11_slim_and_runs_as_a_non_root_user():
    for stage in dockerfile_stages():
        assert stage.base == "python:3.11-slim"
        assert stage.user.partition(":")[0] not in {"root", "0"}, f"stage {stage.name} runs as root"
        assert stage.entrypoint is None, "compose and Kubernetes replace CMD on the premise there is no ENTRYPOINT"


def test_the_image_installs_the_package_with_the_constraints_file_and_copies_what_it_runs():
    stage = image_stage()
    copied = {source for line in stage.copies for source in shlex.split(line)[:-1]}
    assert {"shared/", "services/", "deploy/", "pyproject.toml", "constraints.txt"} <= copied
    installs = [run for s in dockerfile_stages() for run in s.runs if "pip install" in run]
    assert any(re.search(r"pip install -c constraints\.txt \.(\s|$)", run) for run in stage.runs)
    assert all("-c constraints.txt" in run for run in installs), installs


@pytest.mark.parametrize("service", SERVICES)
def test_the_image_default_command_serves_each_service_on_gunicorn_with_the_deploy_settings(service):
    env = {**image_stage().env, "SERVICE": service, "PORT": str(DEFAULT_PORTS[service])}
    commands = simple_commands(image_stage().cmd, env, "Dockerfile CMD")
    assert problems_of(commands) == []
    served = [gunicorn_app_and_port(command) for command in commands if command.program == "gunicorn"]
    assert served == [(service, DEFAULT_PORTS[service])]
    assert "-c" in commands[0].argv and "deploy/gunicorn.conf.py" in commands[0].argv


def test_the_image_healthcheck_asks_healthz_on_the_port_gunicorn_binds():
    healthcheck = " ".join(image_stage().healthcheck)
    assert "/healthz" in healthcheck and "PORT" in healthcheck


# ================================================================ tests: docker-compose.yml

@pytest.mark.parametrize("name", compose_app_names())
def test_every_compose_command_names_an_importable_module_app_and_queue(name):
    commands = compose_commands(name)
    assert [c for c in commands if c.program in CHECKERS], f"compose {name}: no gunicorn, celery or flask command"
    assert problems_of(commands + (compose_healthcheck(name) or [])) == []


def test_compose_serves_each_service_on_gunicorn_at_the_port_it_publishes_and_probes_healthz():
    web = compose_web()
    assert set(web) == set(SERVICES)
    services = compose_services()
    for service, (name, port) in web.items():
        assert port == DEFAULT_PORTS[service]
        published = [str(mapping).split(":")[-1].split("/")[0] for mapping in services[name].get("ports", [])]
        assert str(port) in published, f"compose {name} binds {port} but publishes {published}"
        healthcheck = " ".join(arg for c in compose_healthcheck(name) for arg in c.argv)
        assert "/healthz" in healthcheck, f"compose {name} healthcheck: {healthcheck}"


def test_no_compose_container_but_the_web_services_inherits_the_image_healthcheck_on_healthz():
    web = {name for name, _ in compose_web().values()}
    for name in set(compose_app_names()) - web:
        healthcheck = " ".join(arg for c in compose_healthcheck(name) or [] for arg in c.argv)
        assert "/healthz" not in healthcheck, f"compose {name} serves no HTTP: it would be unhealthy forever"


def test_compose_runs_one_worker_per_queue_one_beat_and_flower():
    subcommands = [(name, *celery_subcommand_and_queues(c)) for name in compose_app_names()
                   for c in compose_commands(name) if c.program == "celery"]
    workers = [queues for _, subcommand, queues in subcommands if subcommand == "worker"]
    assert all(len(queues) == 1 for queues in workers), "each worker container consumes its own queue"
    assert sorted(queue for queues in workers for queue in queues) == sorted(SERVICES)
    assert [s for _, s, _ in subcommands].count("beat") == 1, "a second beat would send every periodic task twice"
    assert [s for _, s, _ in subcommands].count("flower") == 1


def test_compose_migrates_every_service_before_the_web_services_and_workers_start():
    migrators = {name: migrated_services(compose_commands(name)) for name in compose_app_names()}
    [(migrate, services)] = [(name, services) for name, services in migrators.items() if services]
    assert sorted(services) == sorted(SERVICES)
    compose = compose_services()
    assert compose[migrate].get("restart") == "no", "a one-shot migration must not be restarted"
    for name in compose_app_names():
        if any(c.program == "gunicorn" or celery_subcommand_and_queues(c)[0] == "worker"
               for c in compose_commands(name) if c.program in {"gunicorn", "celery"}):
            assert compose[name]["depends_on"][migrate] == {"condition": "service_completed_successfully"}, name


def test_every_compose_dependency_waits_on_a_real_healthcheck_or_a_completed_run():
    services = compose_services()
    for name, service in services.items():
        depends_on = service.get("depends_on", {})
        assert isinstance(depends_on, dict), f"compose {name}: depends_on without conditions waits for nothing"
        for target, condition in depends_on.items():
            assert target in services, f"compose {name} depends on {target}, which is not a service"
            if condition["condition"] == "service_healthy":
                assert compose_healthcheck(target), f"compose {target} has no healthcheck to wait on"
            else:
                assert condition["condition"] == "service_completed_successfully", (name, target, condition)


def test_compose_takes_secret_key_from_the_environment_and_refuses_to_start_without_it():
    for name in compose_app_names():
        assert compose_file()["services"][name]["environment"]["SECRET_KEY"].startswith("${SECRET_KEY:?"), name
    with pytest.raises(UnsetVariable):
        compose_services(host_env={})


@pytest.mark.parametrize("name", compose_app_names())
def test_compose_gives_every_app_container_what_production_requires(name):
    env = compose_env(name)
    settings = Settings.from_env(env)
    assert settings.is_production
    init_sql = (DEPLOY / "postgres-init.sql").read_text()
    created = set(re.findall(r"CREATE DATABASE (\w+)", init_sql, re.I))
    services = compose_services()
    for service in SERVICES:
        url = make_url(settings.database_url(service))
        assert url.drivername == "postgresql+psycopg" and url.host in services
        assert url.database in created, f"{url.database} is not created by postgres-init.sql"
    broker = urlsplit(settings.broker_url)
    assert broker.scheme == "amqp" and broker.hostname in services
    web = compose_web()
    for service in SERVICES:
        target = urlsplit(settings.service_url(service))
        assert (target.hostname, target.port) == web[service], f"{service.upper()}_URL does not reach {service}"


def test_compose_mounts_the_init_script_that_creates_the_three_databases():
    created = re.findall(r"CREATE DATABASE (\w+)", (DEPLOY / "postgres-init.sql").read_text(), re.I)
    assert sorted(created) == sorted(SERVICES)
    [postgres] = [s for s in compose_services().values() if str(s.get("image", "")).startswith("postgres:15")]
    assert any(volume.startswith("./postgres-init.sql:/docker-entrypoint-initdb.d/") for volume in postgres["volumes"])


# ================================================================ tests: Kubernetes

@pytest.mark.parametrize("where", [where for where, _, _ in k8s_containers()])
def test_every_kubernetes_container_names_an_importable_module_app_and_queue(where):
    [(doc, container)] = [(doc, container) for w, doc, container in k8s_containers() if w == where]
    assert container["image"] == IMAGE
    commands = k8s_commands(where, container)
    assert [c for c in commands if c.program in CHECKERS], f"{where}: no gunicorn, celery or flask command"
    assert problems_of(commands) == []


def test_each_web_deployment_probes_healthz_for_liveness_and_readyz_for_readiness_on_its_gunicorn_port():
    web = k8s_web()
    assert set(web) == set(SERVICES)
    for doc, container, port in web.values():
        liveness, readiness = container["livenessProbe"]["httpGet"], container["readinessProbe"]["httpGet"]
        assert (liveness["path"], readiness["path"]) == ("/healthz", "/readyz"), doc["metadata"]["name"]
        assert container_port(container, liveness["port"]) == container_port(container, readiness["port"]) == port


def test_each_kubernetes_service_selects_its_deployment_and_targets_a_port_the_container_exposes():
    deployments = k8s_named("Deployment")
    for name, service in k8s_named("Service").items():
        matches = [deployment for deployment in deployments.values() if selects(service, deployment)]
        assert len(matches) == 1, f"Service {name} selects {len(matches)} Deployments"
        [container] = matches[0]["spec"]["template"]["spec"]["containers"]
        for port in service["spec"]["ports"]:
            assert container_port(container, port["targetPort"]) is not None, f"Service {name}: {port}"
    for doc, container, port in k8s_web().values():
        assert doc["kind"] == "Deployment"
        [service] = [service for service in k8s_named("Service").values() if selects(service, doc)]
        assert [container_port(container, p["targetPort"]) for p in service["spec"]["ports"]] == [port]


def test_kubernetes_runs_one_worker_per_queue_and_exactly_one_beat_that_is_recreated():
    workers, beats = [], []
    for where, doc, container in k8s_containers():
        for command in k8s_commands(where, container):
            if command.program == "celery":
                subcommand, queues = celery_subcommand_and_queues(command)
                workers += [queues] if subcommand == "worker" else []
                beats += [doc] if subcommand == "beat" else []
    assert all(len(queues) == 1 for queues in workers)
    assert sorted(queue for queues in workers for queue in queues) == sorted(SERVICES)
    [beat] = beats
    assert beat["kind"] == "Deployment" and beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"]["type"] == "Recreate", "a rolling update would run two beats for a while"


def test_the_migrate_job_upgrades_every_service_once():
    [job] = k8s_named("Job").values()
    [container] = job["spec"]["template"]["spec"]["containers"]
    commands = k8s_commands("migrate Job", container)
    assert sorted(migrated_services(commands)) == sorted(SERVICES)
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"


def test_kubernetes_gives_every_container_what_production_requires_and_service_urls_reach_the_services():
    services = k8s_named("Service")
    web = k8s_web()
    for where, _, container in k8s_containers():
        env = {**image_stage().env, **k8s_set_env(container), "SECRET_KEY": "k" * 48}
        settings = Settings.from_env(env)
        assert settings.is_production, where
        for service in SERVICES:
            target = urlsplit(settings.service_url(service))
            assert target.hostname in services, f"{where}: {service.upper()}_URL names no Service"
            [port] = [p for p in services[target.hostname]["spec"]["ports"] if p["port"] == target.port]
            doc, web_container, bind = web[service]
            assert selects(services[target.hostname], doc), f"{where}: {service.upper()}_URL reaches another Deployment"
            assert container_port(web_container, port["targetPort"]) == bind


def test_the_secret_template_holds_placeholders_that_cannot_start_the_suite():
    text = (K8S / "secret.template.yaml").read_text()
    assert re.search(r"never commit", text, re.I)
    [secret] = [doc for doc in yaml.safe_load_all(text) if doc]
    values = secret["stringData"]
    assert {"SECRET_KEY", "BROKER_URL"} | {f"{s.upper()}_DATABASE_URL" for s in SERVICES} <= set(values)
    assert all("REPLACE" in value for value in values.values()), "only placeholders belong in the repository"
    labels = secret["metadata"].get("labels", {})
    assert not PART_OF.items() <= labels.items(), "the labelled apply would overwrite the real Secret"
    with pytest.raises(ConfigurationError):
        Settings.from_env({**k8s_named("ConfigMap")["canteen-config"]["data"], **values})
    for _, doc in k8s_documents():
        if doc is not secret and doc["kind"] != "Secret":
            assert PART_OF.items() <= doc["metadata"].get("labels", {}).items(), doc["metadata"]["name"]
    configmap_keys = {key for doc in k8s_named("ConfigMap").values() for key in doc.get("data", {})}
    assert not configmap_keys & set(values), "secrets belong in the Secret, not the ConfigMap"


def test_every_kubernetes_object_is_in_the_canteen_namespace():
    assert set(k8s_named("Namespace")) == {"canteen"}
    for file, doc in k8s_documents():
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == "canteen", f"{file} {doc['kind']}/{doc['metadata']['name']}"


# ================================================================ tests: the settings they set

def test_every_env_var_compose_and_kubernetes_set_for_the_apps_is_one_the_suite_reads():
    compose = {(f"compose {name}", key) for name in compose_app_names()
               for key in compose_environment(compose_services()[name])}
    k8s = {(where, key) for where, _, container in k8s_containers() for key in k8s_set_env(container)}
    stray = sorted((where, key) for where, key in compose | k8s if key in stray_env_vars({key}))
    assert stray == [], "set but read by nobody (misspelled?)"
