"""Blueprints: the Label Studio ML protocol, webhooks, and status."""
