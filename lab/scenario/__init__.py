"""Scenario files: load (YAML with line marks), schema (shape), validate
(meaning), model (the typed result)."""
from .model import Scenario
from .validate import load_scenario

__all__ = ["Scenario", "load_scenario"]
