"""The delivery engine: workers that drain the outbox into vendor calls, so no case change is lost on its way out."""
