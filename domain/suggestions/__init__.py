"""Suggestions a person approves: CRM fields, CRM stages and duplicate accounts.

The offline engine (dictionary, rules, rapidfuzz, value profiles) always answers; an optional LLM only
re-ranks what the engine is unsure about. Nothing here writes anywhere: storage keeps the review state.
"""
