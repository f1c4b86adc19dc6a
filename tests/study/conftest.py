"""Fixtures for the study service tests."""

from __future__ import annotations

import pytest
from study_factories import UTC, FakeClock

from flashtrain.store.engine import open_store
from flashtrain.study.service import StudyService


@pytest.fixture
def store(tmp_path):
    st = open_store(tmp_path / "study.db")
    yield st
    st.close()


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def service(store, clock):
    return StudyService(store, clock=clock, tz=UTC)
