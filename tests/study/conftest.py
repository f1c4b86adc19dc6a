"""Fixtures for the study service tests (`store` comes from tests/conftest.py)."""

from __future__ import annotations

import pytest
from study_factories import UTC, FakeClock

from flashtrain.study.service import StudyService


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def service(store, clock):
    return StudyService(store, clock=clock, tz=UTC)
