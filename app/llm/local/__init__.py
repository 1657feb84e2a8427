"""The no-key local engine (see `engine.LocalEngine`) and its instruction reader."""

from app.llm.local.engine import LocalEngine
from app.llm.local.instructions import InstructionPlan, parse_instructions

__all__ = ["InstructionPlan", "LocalEngine", "parse_instructions"]
