"""Settings come from NEWSFLOW_* env vars, nested with __, frozen, secrets hidden."""

import pytest
from pydantic import ValidationError

from services.core.commands.settings_doc import env_vars
from services.core.settings import SERVICE_SETTINGS, IngestSettings, SinkSettings


def test_env_overrides_nested_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSFLOW_KAFKA__BOOTSTRAP_SERVERS", "kafka:9092")
    monkeypatch.setenv("NEWSFLOW_HTTP__PORT", "9999")
    monkeypatch.setenv("NEWSFLOW_LATEST_SIZE", "7")
    settings = SinkSettings()
    assert settings.kafka.bootstrap_servers == "kafka:9092"
    assert settings.http.port == 9999 and settings.http.host == "127.0.0.1"
    assert settings.latest_size == 7


def test_defaults_give_each_service_its_own_port() -> None:
    ports = {name: cls().http.port for name, cls in SERVICE_SETTINGS.items()}  # type: ignore[attr-defined]
    assert ports["ingest"] == 8000 and ports["sink"] == 8001
    assert len(set(ports.values())) == len(ports)


def test_settings_are_frozen_and_secrets_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSFLOW_KAFKA__SASL_PASSWORD", "hunter2")
    settings = IngestSettings()
    assert "hunter2" not in repr(settings)
    assert settings.kafka.sasl_password is not None
    assert settings.kafka.sasl_password.get_secret_value() == "hunter2"
    with pytest.raises(ValidationError):
        settings.log_level = "DEBUG"  # type: ignore[misc]


def test_invalid_value_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSFLOW_TOPICS__PARTITIONS", "zero")
    with pytest.raises(ValidationError, match="partitions"):
        IngestSettings()


def test_documented_table_lists_every_setting() -> None:
    table = env_vars()
    assert "NEWSFLOW_KAFKA__BOOTSTRAP_SERVERS" in table["ingest"]
    assert "NEWSFLOW_LATEST_SIZE" in table["sink"] and "NEWSFLOW_LATEST_SIZE" not in table["ingest"]
    assert table["ingest"]["NEWSFLOW_HTTP__PORT"][0] == "8000"


def test_readme_configuration_table_is_current() -> None:
    import io
    from pathlib import Path

    from services.core.commands.settings_doc import run_settings

    out = io.StringIO()
    run_settings(True, out)
    readme = (Path(__file__).parents[3] / "README.md").read_text()
    assert out.getvalue().strip() in readme, "run `newsflow settings --markdown` and update README.md"
