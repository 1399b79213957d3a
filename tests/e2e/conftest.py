"""One running system (five service processes) shared by the e2e tests of this package."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.system import System, running_system


@pytest.fixture(scope="package")
def system(kafka_broker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    with running_system(kafka_broker.bootstrap, tmp_path_factory.mktemp("e2e")) as running:
        yield running
