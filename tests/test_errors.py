"""The error tree's service-fault codes, and how front doors show them."""

from __future__ import annotations

from dragoman.api.azure.errors import inner_to_top_code
from dragoman.domain.jobs import ErrorInfo
from dragoman.errors import SERVICE_FAULT_CODES, EngineError, ServiceError, StoreError


def _all(cls: type[ServiceError]) -> list[type[ServiceError]]:
    return [cls, *(sub for child in cls.__subclasses__() for sub in _all(child))]


def test_every_engine_and_store_error_is_a_service_fault_and_no_input_error_is() -> None:
    faults = {cls.code for cls in _all(EngineError) + _all(StoreError)}
    assert faults <= SERVICE_FAULT_CODES and "ConverterCrashed" in faults
    for cls in _all(ServiceError):
        if not issubclass(cls, (EngineError, StoreError)):
            assert cls.code not in SERVICE_FAULT_CODES, cls


def test_azure_shows_service_faults_as_server_errors() -> None:
    assert inner_to_top_code(ErrorInfo("ConverterCrashed", "tf-extract died")) == "InternalServerError"
    assert inner_to_top_code(ErrorInfo("OutputWriteFailed", "bucket gone")) == "InternalServerError"
    assert inner_to_top_code(ErrorInfo("DocumentTooComplex", "a 40 000-letter word")) == "InvalidRequest"
