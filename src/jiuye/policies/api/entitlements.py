"""Policies API: entitlements."""

from ninja import Router

router = Router()
