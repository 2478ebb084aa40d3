"""``/api/v1/…`` routes of the releases app."""

urlpatterns: list = []
