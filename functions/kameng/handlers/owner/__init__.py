"""The owner console's API: every route under /api/owner, each behind `owner_api`."""
