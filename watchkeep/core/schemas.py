"""Base models for the API: camelCase on the wire, server-owned fields refused by name."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic.alias_generators import to_camel

from watchkeep.core.errors import readonly_field


class ApiModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class WriteModel(ApiModel):
    """A request body. Naming a server-owned field gives READONLY_FIELD for that field."""

    readonly_fields: ClassVar[frozenset[str]] = frozenset({"id", "createdAt", "updatedAt"})

    @model_validator(mode="before")
    @classmethod
    def _refuse_readonly(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name in data:
                if name in cls.readonly_fields:
                    raise readonly_field(name)
        return data
