"""The start-batch request body (StartTranslationDetails) as pydantic models. Unknown keys are kept
and ignored: the SDK forwards a caller's own dict verbatim."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from dragoman.batches import BatchInput, BatchTarget, GlossaryRef

__all__ = ["StartTranslationDetails"]

Url = Annotated[str, StringConstraints(min_length=1, max_length=4096)]
LanguageTag = Annotated[str, StringConstraints(min_length=1, max_length=35)]


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="allow")


class DocumentFilter(_Lenient):
    prefix: Annotated[str, StringConstraints(max_length=1024)] | None = None
    suffix: Annotated[str, StringConstraints(max_length=1024)] | None = None


class SourceInput(_Lenient):
    sourceUrl: Url  # noqa: N815 - Azure's wire name
    filter: DocumentFilter | None = None
    language: LanguageTag | None = None
    storageSource: str | None = None  # noqa: N815


class Glossary(_Lenient):
    glossaryUrl: Url  # noqa: N815
    format: Annotated[str, StringConstraints(min_length=1, max_length=50)]
    version: str | None = None
    storageSource: str | None = None  # noqa: N815


class TargetInput(_Lenient):
    targetUrl: Url  # noqa: N815
    language: LanguageTag
    category: str | None = None
    deploymentName: str | None = None  # noqa: N815
    glossaries: Annotated[list[Glossary], Field(max_length=10)] | None = None
    storageSource: str | None = None  # noqa: N815


class BatchRequest(_Lenient):
    source: SourceInput
    targets: Annotated[list[TargetInput], Field(min_length=1, max_length=50)]
    storageType: str | None = Field(default=None, pattern="(?i)^(folder|file)$")  # noqa: N815


class StartTranslationDetails(_Lenient):
    inputs: Annotated[list[BatchRequest], Field(min_length=1, max_length=100)]
    options: dict[str, object] | None = None

    def batch_inputs(self) -> list[BatchInput]:
        return [
            BatchInput(
                source_url=item.source.sourceUrl,
                source_language=item.source.language,
                single_file=(item.storageType or "folder").lower() == "file",
                prefix=(item.source.filter.prefix or "") if item.source.filter else "",
                suffix=(item.source.filter.suffix or "") if item.source.filter else "",
                targets=tuple(
                    BatchTarget(
                        url=target.targetUrl,
                        language=target.language,
                        glossaries=tuple(GlossaryRef(g.glossaryUrl, g.format) for g in target.glossaries or ()),
                    )
                    for target in item.targets
                ),
            )
            for item in self.inputs
        ]
