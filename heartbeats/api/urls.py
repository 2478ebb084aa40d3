"""``/api/v1/…`` routes of the heartbeats app."""

urlpatterns: list = []
