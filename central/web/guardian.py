"""Guardians' pages (placeholder until the pages land in the next commit)."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
