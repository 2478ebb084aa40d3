"""The typed environment reader: every malformed value names the variable and the expected form."""

from pathlib import Path

import pytest

from sre import config
from sre.env import Env, EnvError


@pytest.mark.parametrize(
    ("method", "args", "value", "expected"),
    [
        ("bool", ("DEBUG", False), "true", True),
        ("bool", ("DEBUG", False), "0", False),
        ("bool", ("DEBUG", True), "", True),
        ("int", ("N", 5), "12", 12),
        ("int", ("N", 5), None, 5),
        ("list", ("HOSTS", ["a"]), "x.example, y.example ,", ["x.example", "y.example"]),
        ("timezone", ("TIME_ZONE", "UTC"), "Europe/Berlin", "Europe/Berlin"),
        ("choice", ("SRE_ENV", ("development", "production"), "development"), "production", "production"),
    ],
)
def test_reads_typed_values(method: str, args: tuple, value: str | None, expected: object) -> None:
    environ = {} if value is None else {args[0]: value}
    assert getattr(Env(environ), method)(*args) == expected


@pytest.mark.parametrize(
    ("method", "args", "value", "fragment"),
    [
        ("bool", ("DEBUG", False), "maybe", "one of true/false"),
        ("int", ("N", 5), "five", "a whole number"),
        ("int", ("N", 5), "0", "of at least 1"),
        ("timezone", ("TIME_ZONE", "UTC"), "Mars/Olympus", "IANA time zone"),
        ("choice", ("SRE_ENV", ("development", "production"), "development"), "staging", "one of development"),
    ],
)
def test_malformed_values_name_variable_and_form(method: str, args: tuple, value: str, fragment: str) -> None:
    kwargs = {"minimum": 1} if method == "int" and value == "0" else {}
    with pytest.raises(EnvError) as error:
        getattr(Env({args[0]: value}), method)(*args, **kwargs)
    assert args[0] in str(error.value)
    assert fragment in str(error.value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PROMETHEUS_URL", "prometheus:9090"),
        ("PROMETHEUS_URL", "ftp://prom"),
        ("ELASTICSEARCH_URL", "http://"),
    ],
)
def test_integration_urls_are_validated(name: str, value: str) -> None:
    with pytest.raises(EnvError, match=name):
        Env({name: value}).url(name, schemes=("http", "https"))


def test_database_url_forms(tmp_path: Path) -> None:
    default = config.database_config(Env({}), var_dir=tmp_path)
    assert default["ENGINE"].endswith("sqlite3")
    assert default["NAME"] == str(tmp_path / "sre.sqlite3")
    assert "journal_mode=WAL" in default["OPTIONS"]["init_command"]
    assert default["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    absolute = config.database_config(Env({"DATABASE_URL": "sqlite:////srv/db.sqlite3"}), var_dir=tmp_path)
    assert absolute["NAME"] == "/srv/db.sqlite3"
    pg = config.database_config(Env({"DATABASE_URL": "postgres://u:p@db:5433/sre"}), var_dir=tmp_path)
    assert (pg["ENGINE"], pg["HOST"], pg["PORT"], pg["NAME"]) == ("django.db.backends.postgresql", "db", 5433, "sre")
    assert pg["OPTIONS"] == {"server_side_binding": True, "prepare_threshold": 5}  # prepared after 5 runs
    env = Env({"DATABASE_URL": "postgres://db/sre", "DATABASE_PREPARE_THRESHOLD": "0"})
    assert config.database_config(env, var_dir=tmp_path)["OPTIONS"]["prepare_threshold"] is None  # poolers: off
    for bad in ("mysql://x/y", "sqlite://", "postgres://db:5432/", "nonsense"):
        with pytest.raises(EnvError, match="DATABASE_URL"):
            config.database_config(Env({"DATABASE_URL": bad}), var_dir=tmp_path)


def test_broker_defaults_to_filesystem_in_var_and_creates_folders(tmp_path: Path) -> None:
    url, options = config.broker_config(Env({}), var_dir=tmp_path)
    assert url == "filesystem://localhost//"
    assert Path(options["data_folder_in"]).is_dir()
    assert options["data_folder_in"] == options["data_folder_out"]
    with pytest.raises(EnvError, match="CELERY_BROKER_URL"):
        config.broker_config(Env({"CELERY_BROKER_URL": "kafka://x"}), var_dir=tmp_path)


def test_email_url_forms(tmp_path: Path) -> None:
    smtp = config.email_config(Env({"EMAIL_URL": "smtp://me%40x.org:p%2Fw@mail.example:587?tls=1"}), var_dir=tmp_path)
    assert (smtp["EMAIL_HOST"], smtp["EMAIL_PORT"], smtp["EMAIL_HOST_USER"]) == ("mail.example", 587, "me@x.org")
    assert smtp["EMAIL_HOST_PASSWORD"] == "p/w" and smtp["EMAIL_USE_TLS"]
    assert config.email_config(Env({}), var_dir=tmp_path)["EMAIL_BACKEND"].endswith("filebased.EmailBackend")
    with pytest.raises(EnvError, match="EMAIL_URL"):
        config.email_config(Env({"EMAIL_URL": "pigeon://coop"}), var_dir=tmp_path)


def test_secret_key_generated_once_in_development_and_required_in_production(tmp_path: Path) -> None:
    first = config.secret_key(Env({}), production=False, var_dir=tmp_path)
    assert len(first) >= 50
    assert config.secret_key(Env({}), production=False, var_dir=tmp_path) == first
    with pytest.raises(EnvError, match="SECRET_KEY"):
        config.secret_key(Env({}), production=True, var_dir=tmp_path)
    with pytest.raises(EnvError, match="SECRET_KEY"):
        config.secret_key(Env({"SECRET_KEY": "short"}), production=True, var_dir=tmp_path)


def test_int_map_reads_pairs_and_names_the_variable_on_error() -> None:
    env = Env({"LIMITS": "http_requests_total=50000, up=10"})
    assert env.int_map("LIMITS") == {"http_requests_total": 50000, "up": 10}
    assert Env({}).int_map("LIMITS") == {}
    for bad in ("http_requests_total", "x=many", "=5"):
        with pytest.raises(EnvError, match=r"LIMITS.*name=number"):
            Env({"LIMITS": bad}).int_map("LIMITS")
